"""The shopper behind this request, read from the signed session cookie (sign-in stores
`session["user"]`), and the anonymous cart id a first visit gets."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from flask import current_app, session

from marketplace.shopper import ANONYMOUS_PREFIX, Shopper, SignedInShopper, session_role


def current_shopper() -> Shopper:
    """Read the shopper from the signed session cookie (sign-in stores `session["user"]`)."""
    user = session.get("user") or {}
    return Shopper(
        user_id=user.get("id"),
        tier=user.get("tier"),
        anonymous_id=session.get("anonymous_id"),
        name=user.get("name"),
        role=session_role(user),
    )


def signed_in_shopper() -> SignedInShopper:
    """The signed-in shopper of a view behind `login_required`."""
    shopper = current_shopper().signed_in()
    if shopper is None:
        raise RuntimeError("nobody is signed in: the view needs @login_required")
    return shopper


def ensure_cart_owner() -> str:
    """Return the shopper's cart owner id, giving an anonymous shopper one on first use."""
    owner = current_shopper().cart_owner
    if owner is None:
        session["anonymous_id"] = _new_anonymous_id()
        owner = f"{ANONYMOUS_PREFIX}{session['anonymous_id']}"
    return owner


def _new_anonymous_id() -> str:
    """A first cart's id, the same for every request that carries the same session cookie.

    A shopper's first adds can be sent at once (two tabs, quick clicks) with a cookie that has
    no cart id yet; each response sets its own cookie and the browser keeps the last one. So
    the id is derived from the one random value such a session already holds, its CSRF secret
    (every POST needs one), keyed with the app's secret: concurrent first adds name one cart.
    A session without one (no page seen, CSRF off) gets a random id.
    """
    seed = session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if not isinstance(seed, str) or not seed:
        return str(uuid.uuid4())
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, b"anonymous-cart\0" + seed.encode(), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))
