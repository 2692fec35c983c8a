"""Who is shopping: the signed-in user from the session, or an anonymous cart owner."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import session

ANONYMOUS_PREFIX = "anon:"
# The promo code the shopper applied to their cart (re-validated on every render).
PROMO_SESSION_KEY = "promo_code"


@dataclass(frozen=True)
class Shopper:
    """The person behind a request; `user_id` is the Keycloak `sub` when signed in."""

    user_id: str | None
    tier: str | None
    is_admin: bool
    anonymous_id: str | None

    @classmethod
    def anonymous(cls, tier: str | None = None) -> Shopper:
        """Nobody in particular, on `tier`: for prices that depend on the tier alone."""
        return cls(user_id=None, tier=tier, is_admin=False, anonymous_id=None)

    @property
    def is_signed_in(self) -> bool:
        return self.user_id is not None

    @property
    def cart_owner(self) -> str | None:
        """The `cart_items.user_id` of this shopper's cart, or None before they have one."""
        if self.user_id:
            return self.user_id
        return f"{ANONYMOUS_PREFIX}{self.anonymous_id}" if self.anonymous_id else None


def current_shopper() -> Shopper:
    """Read the shopper from the signed session cookie (sign-in stores `session["user"]`)."""
    user = session.get("user") or {}
    return Shopper(
        user_id=user.get("id"),
        tier=user.get("tier"),
        is_admin=bool(user.get("is_admin")),
        anonymous_id=session.get("anonymous_id"),
    )


def ensure_cart_owner() -> str:
    """Return the shopper's cart owner id, giving an anonymous shopper one on first use."""
    owner = current_shopper().cart_owner
    if owner is None:
        session["anonymous_id"] = str(uuid.uuid4())
        owner = f"{ANONYMOUS_PREFIX}{session['anonymous_id']}"
    return owner
