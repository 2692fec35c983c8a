"""Changes a user makes to their own subscriptions; each function is one transaction.

The calls that carry a change to Stripe and Lago are queued in the billing outbox in the same
transaction; the caller delivers them after the commit (`Change.outbox_ids`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import subscription_history
from marketplace.account import queries
from marketplace.billing import outbox
from marketplace.events import emit as events
from marketplace.mail import letters
from marketplace.models import UserAddOn
from marketplace.vocabulary import SubscriptionStatus


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
    session: Session,
    user_id: str,
    subscription_id: uuid.UUID,
    reason: str | None,
    now: datetime | None = None,
) -> Change:
    """Cancel the user's active subscription (`end_subscription`), in one transaction."""
    subscription = _own(session, user_id, subscription_id)
    outbox_ids = end_subscription(session, subscription, reason, now=now)
    session.commit()
    return Change(subscription, tuple(outbox_ids))


def end_subscription(
    session: Session,
    subscription: UserAddOn,
    reason: str | None,
    *,
    now: datetime | None = None,
    by_staff: bool = False,
) -> list[uuid.UUID]:
    """Cancel the locked, active `subscription`: status `cancelled`, when and why; no renewal
    (no commit: the caller's transaction holds it, and the outbox entries returned).

    Billing stops too: the Lago subscription is terminated and the Stripe one cancelled now (or,
    when other add-ons share it, the add-on's item removed from it). `by_staff`: the letter
    says the marketplace's staff cancelled it, not the shopper.
    """
    if subscription.status != SubscriptionStatus.ACTIVE:
        raise SubscriptionError(
            f"{subscription.add_on.name} is {subscription.status}, so it can't be cancelled."
        )
    return end(session, subscription, reason, now or datetime.now(UTC), by_shopper=not by_staff)


def end(
    session: Session,
    subscription: UserAddOn,
    reason: str | None,
    now: datetime,
    *,
    by_shopper: bool,
    refunded: Decimal | None = None,
) -> list[uuid.UUID]:
    """Cancel the locked `subscription` and queue what stops its billing and tells the shopper
    (`by_shopper`: they cancelled it, else the marketplace did for `reason`, giving back
    `refunded`); the outbox ids. No commit."""
    subscription.status = SubscriptionStatus.CANCELLED
    subscription.cancelled_at = now
    subscription.cancellation_reason = (reason or "").strip() or None
    subscription.auto_renew = False
    subscription_history.record(session, [subscription.id], subscription.cancelled_at)
    outbox_ids = []
    if outbox.lago_subscription_owed(session, subscription):
        outbox_ids.append(
            outbox.enqueue(
                session, outbox.TERMINATE_SUBSCRIPTION, {"user_add_on_id": str(subscription.id)}
            )
        )
    outbox_ids += _payment_work(session, subscription, cancelling=True)
    # Its features stop at once; a shopper's cancel refunds nothing (the cancel page says so).
    outbox_ids += letters.subscription_cancelled(
        session,
        subscription.user_id,
        subscription.add_on.name,
        cancelled_at=now,
        access_until=None,
        refunded=refunded,
        by_shopper=by_shopper,
        by_staff=not by_shopper,
        reason=None if by_shopper else subscription.cancellation_reason,
    )
    outbox_ids += events.subscriptions(session, events.SUBSCRIPTION_CANCELLED, [subscription])
    return outbox_ids


def set_auto_renew(
    session: Session, user_id: str, subscription_id: uuid.UUID, auto_renew: bool
) -> Change:
    """Switch renewal of the user's active, renewing (not lifetime) subscription on or off.

    Off for an add-on sharing its Stripe subscription removes its item, so switching it back on
    there is refused (409): that add-on renews with a new checkout.
    """
    subscription = _own(session, user_id, subscription_id)
    if subscription.status != SubscriptionStatus.ACTIVE:
        raise SubscriptionError(
            f"{subscription.add_on.name} is {subscription.status}, so it doesn't renew."
        )
    if subscription.expires_at is None:
        raise SubscriptionError(f"{subscription.add_on.name} is yours for life; nothing renews.")
    if auto_renew and _shared(session, subscription):
        if subscription.auto_renew:
            session.commit()
            return Change(subscription)  # renewing already: its item is still there
        # Switching it off took its item off the shared Stripe subscription; putting it back
        # would need its net price re-quoted outside a checkout, which we don't do.
        raise SubscriptionError(
            f"{subscription.add_on.name} was bought together with other add-ons, so its "
            "renewal can't be switched back on here: it renews with a new checkout once it "
            "runs out."
        )
    subscription.auto_renew = auto_renew
    outbox_ids = _payment_work(session, subscription, cancelling=False)
    session.commit()
    return Change(subscription, tuple(outbox_ids))


def stop_renewal(session: Session, subscription: UserAddOn) -> list[uuid.UUID]:
    """Switch the locked, active `subscription`'s renewal off, as the shopper's switch does (no
    commit); the outbox entries that carry it to the provider."""
    if not subscription.auto_renew or subscription.expires_at is None:
        return []
    subscription.auto_renew = False
    return _payment_work(session, subscription, cancelling=False)


def _payment_work(
    session: Session, subscription: UserAddOn, *, cancelling: bool
) -> list[uuid.UUID]:
    """Queue what the provider's subscription needs now that `subscription` changed.

    One Stripe subscription can pay for several add-ons bought together (one item each). For
    such a shared subscription, a cancelled add-on, or one that stops renewing, loses its item
    (no proration: it was paid to `expires_at`); its last item ends the subscription instead —
    at once for a cancellation, at the period's end for renewal switched off. A subscription of
    its own is cancelled, or renews or not, as a whole.
    """
    provider_id = subscription.stripe_subscription_id
    if provider_id is None:
        return []
    session.flush()
    if _shared(session, subscription):
        payload = {
            "subscription_id": provider_id,
            "add_on_id": str(subscription.add_on_id),
            "cancel_if_last": cancelling,
        }
        return [outbox.enqueue(session, outbox.REMOVE_PAYMENT_ITEM, payload)]
    still_active = session.scalar(
        select(UserAddOn.id)
        .where(
            UserAddOn.stripe_subscription_id == provider_id,
            UserAddOn.status == SubscriptionStatus.ACTIVE,
        )
        .limit(1)
    )
    if still_active is None:
        kind = outbox.CANCEL_PAYMENT_SUBSCRIPTION
    else:
        kind = outbox.SET_PAYMENT_RENEWAL
    return [outbox.enqueue(session, kind, {"subscription_id": provider_id})]


def _shared(session: Session, subscription: UserAddOn) -> bool:
    """Whether other add-ons were bought on the same provider subscription."""
    return subscription.id in queries.sharing_payment(session, [subscription])


def _own(session: Session, user_id: str, subscription_id: uuid.UUID) -> UserAddOn:
    subscription = queries.subscription(session, user_id, subscription_id, for_update=True)
    if subscription is None:
        raise NotFound("That subscription doesn't exist.")
    return subscription
