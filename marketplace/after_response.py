"""Work a request owes after its response: deliver the outbox entries its commit created.

The shopper gets the page at once; Lago and Stripe are called, and e-mail sent, once the
response has gone (best effort: what fails stays in the outbox for
`flask maintain deliver-outbox`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from flask import current_app
from werkzeug.wrappers import Response

from marketplace.billing.sync import deliver_after_commit
from marketplace.extensions import db

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.local import LocalProxy


def deliver_after_response(response: Response, outbox_ids: Sequence[uuid.UUID]) -> Response:
    """Deliver `outbox_ids` once `response` has gone (best effort; the outbox keeps them)."""
    if outbox_ids:
        # Flask annotates `current_app` as the app; it is a proxy, and the callback needs the app.
        app = cast("LocalProxy[Flask]", current_app)._get_current_object()
        config = dict(app.config)

        @response.call_on_close
        def deliver() -> None:
            with app.app_context():
                deliver_after_commit(db.session(), config, outbox_ids)

    return response
