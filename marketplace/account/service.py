"""Changes a user makes to their own subscriptions; each function is one transaction.

The calls that carry a change to Stripe and Lago are queued in the billing outbox in the same
transaction; the caller delivers them after the commit (`Change.outbox_ids`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from marketplace.account import queries
from marketplace.billing import outbox
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


@dataclass(frozen=True)
class Change:
    """The changed subscription and the outbox entries to deliver after the commit."""

    subscription: UserAddOn
    outbox_ids: tuple[uuid.UUID, ...] = ()


def cancel(
    user_id: str, subscription_id: uuid.UUID, reason: str | None, now: datetime | None = None
) -> Change:
    """Cancel the user's active subscription: status `cancelled`, when and why; no renewal.

    Billing stops too: the Lago subscription is terminated and the Stripe one cancelled now.
    """
    subscription = _own(user_id, subscription_id)
    if subscription.status != "active":
        raise SubscriptionError(
            f"{subscription.add_on.name} is {subscription.status}, so it can't be cancelled."
        )
    subscription.status = "cancelled"
    subscription.cancelled_at = now or datetime.now(UTC)
    subscription.cancellation_reason = (reason or "").strip() or None
    subscription.auto_renew = False
    outbox_ids = []
    if outbox.lago_subscription_owed(db.session, subscription):
        outbox_ids.append(
            outbox.enqueue(
                db.session, outbox.TERMINATE_SUBSCRIPTION, {"user_add_on_id": str(subscription.id)}
            )
        )
    outbox_ids += _payment_work(subscription)
    db.session.commit()
    return Change(subscription, tuple(outbox_ids))


def set_auto_renew(user_id: str, subscription_id: uuid.UUID, auto_renew: bool) -> Change:
    """Switch renewal of the user's active, renewing (not lifetime) subscription on or off."""
    subscription = _own(user_id, subscription_id)
    if subscription.status != "active":
        raise SubscriptionError(
            f"{subscription.add_on.name} is {subscription.status}, so it doesn't renew."
        )
    if subscription.expires_at is None:
        raise SubscriptionError(f"{subscription.add_on.name} is yours for life; nothing renews.")
    subscription.auto_renew = auto_renew
    outbox_ids = _payment_work(subscription)
    db.session.commit()
    return Change(subscription, tuple(outbox_ids))


def _payment_work(subscription: UserAddOn) -> list[uuid.UUID]:
    """Queue what the provider's subscription needs now that `subscription` changed.

    One Stripe subscription can pay for several add-ons bought together: it is cancelled when
    none of them is active any more, else it renews while any of them wants to.
    """
    provider_id = subscription.stripe_subscription_id
    if provider_id is None:
        return []
    db.session.flush()
    still_active = db.session.scalar(
        select(UserAddOn.id)
        .where(UserAddOn.stripe_subscription_id == provider_id, UserAddOn.status == "active")
        .limit(1)
    )
    if still_active is None:
        kind = outbox.CANCEL_PAYMENT_SUBSCRIPTION
    else:
        kind = outbox.SET_PAYMENT_RENEWAL
    return [outbox.enqueue(db.session, kind, {"subscription_id": provider_id})]


def _own(user_id: str, subscription_id: uuid.UUID) -> UserAddOn:
    subscription = queries.subscription(db.session, user_id, subscription_id, for_update=True)
    if subscription is None:
        raise NotFound("That subscription doesn't exist.")
    return subscription
