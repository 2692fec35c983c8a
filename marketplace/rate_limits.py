"""What every rate-limited answer shares: a `Retry-After` header on each 429.

The limits themselves are declared where they apply (`cart/routes.py` for promo codes,
`auth/routes.py` for sign-in), configured in `config.py` and counted by flask-limiter in Redis
when `REDIS_URL` is set, so every worker and server counts against one number. A 429 renders
like any other error (`errors.py`: the styled page, or the message alone for htmx) unless the
blueprint has its own page (the cart shows the promo form with the message).
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response

from marketplace.extensions import limiter

# When the breached window can't be read (no limit in this request's context).
DEFAULT_RETRY_AFTER_SECONDS = 60


def init_app(app: Flask) -> None:
    app.after_request(add_retry_after)


def add_retry_after(response: Response) -> Response:
    """Tell a client that hit a limit how many seconds until its window resets (at least 1)."""
    if response.status_code != 429 or "Retry-After" in response.headers:
        return response
    breached = limiter.current_limit
    seconds = DEFAULT_RETRY_AFTER_SECONDS
    if breached is not None:
        seconds = max(1, math.ceil(breached.reset_at - time.time()))
    response.headers["Retry-After"] = str(seconds)
    return response
