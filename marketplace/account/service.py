"""Changes a user makes to their own subscriptions; each function is one transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from marketplace.account import queries
from marketplace.extensions import db
from marketplace.models import UserAddOn


class SubscriptionError(Exception):
    """A change that cannot be made; `status` is the HTTP status to answer with."""

    status = 409

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotFound(SubscriptionError):
    status = 404


def cancel(
    user_id: str, subscription_id: uuid.UUID, reason: str | None, now: datetime | None = None
) -> UserAddOn:
    """Cancel the user's active subscription: status `cancelled`, when and why; no renewal."""
    subscription = _own(user_id, subscription_id)
    if subscription.status != "active":
        raise SubscriptionError(
            f"{subscription.add_on.name} is {subscription.status}, so it can't be cancelled."
        )
    subscription.status = "cancelled"
    subscription.cancelled_at = now or datetime.now(UTC)
    subscription.cancellation_reason = (reason or "").strip() or None
    subscription.auto_renew = False
    db.session.commit()
    return subscription


def set_auto_renew(user_id: str, subscription_id: uuid.UUID, auto_renew: bool) -> UserAddOn:
    """Switch renewal of the user's active, renewing (not lifetime) subscription on or off."""
    subscription = _own(user_id, subscription_id)
    if subscription.status != "active":
        raise SubscriptionError(
            f"{subscription.add_on.name} is {subscription.status}, so it doesn't renew."
        )
    if subscription.expires_at is None:
        raise SubscriptionError(f"{subscription.add_on.name} is yours for life; nothing renews.")
    subscription.auto_renew = auto_renew
    db.session.commit()
    return subscription


def _own(user_id: str, subscription_id: uuid.UUID) -> UserAddOn:
    subscription = queries.subscription(db.session, user_id, subscription_id, for_update=True)
    if subscription is None:
        raise NotFound("That subscription doesn't exist.")
    return subscription
