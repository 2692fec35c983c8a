"""Change shoppers' subscriptions from the admin area: each function one transaction, audited.

Cancelling and stopping renewal go through the shop's own functions
(marketplace/account/service.py), so Stripe and Lago follow through the billing outbox exactly
as when the shopper does it; the entries to deliver after the commit come back in `Done`. Every
change of an existing subscription carries the edit token of the page it was made on: a
subscription changed since (by another admin, a webhook, the shopper) is refused, never
overwritten.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import subscription_history
from marketplace.account import service as shop
from marketplace.admin import changes
from marketplace.admin.audit.service import Actor, changed_fields, jsonable, record
from marketplace.admin.changes import Conflict, NotFound, Refused
from marketplace.admin.subscriptions.queries import OBJECT_TYPE
from marketplace.checkout.locks import lock_shopper
from marketplace.events import emit as events
from marketplace.mail import letters
from marketplace.models import AddOn, AddOnPurchase, Order, UserAddOn
from marketplace.models.base import utcnow
from marketplace.orders import service as orders
from marketplace.pricing.money import ZERO
from marketplace.vocabulary import PurchaseStatus, SubscriptionStatus

CONFLICT = "This subscription was changed by someone else since you opened it — reload to see it."
MISSING = "This subscription does not exist (any more)."


@dataclass(frozen=True)
class Done:
    """The changed subscription and the outbox entries to deliver after the commit."""

    subscription: UserAddOn
    outbox_ids: tuple[uuid.UUID, ...] = ()


def snapshot(subscription: UserAddOn) -> dict[str, Any]:
    """The fields an admin changes, as the audit log and the edit token see them."""
    return jsonable(
        {
            "status": subscription.status,
            "expires_at": subscription.expires_at,
            "auto_renew": subscription.auto_renew,
            "cancelled_at": subscription.cancelled_at,
            "cancellation_reason": subscription.cancellation_reason,
        }
    )


def edit_token(subscription: UserAddOn) -> str:
    """The concurrent-edit token of a subscription's action forms."""
    return changes.edit_token(subscription.updated_at, snapshot(subscription))


def cancel(
    session: Session, actor: Actor, subscription_id: uuid.UUID, token: str, reason: str | None
) -> Done:
    """Cancel an active subscription as the shopper's cancel does (billing stops in Stripe and
    Lago, the shopper gets the letter), the reason recorded."""
    subscription, before = _locked(session, subscription_id, token)
    try:
        outbox_ids = shop.end_subscription(session, subscription, reason, by_staff=True)
    except shop.SubscriptionError as refused:
        raise _refused(session, refused.message) from None
    _audit(session, actor, "subscription.cancel", subscription, before, reason)
    session.commit()
    return Done(subscription, tuple(outbox_ids))


def extend(
    session: Session,
    actor: Actor,
    subscription_id: uuid.UUID,
    token: str,
    expires_at: datetime,
    reason: str | None,
    now: datetime | None = None,
) -> Done:
    """Move an expiring subscription's end to the later `expires_at`; an expired one becomes
    active again. One Stripe renews is refused: Stripe sets its end at every renewal."""
    now = now or utcnow()
    subscription, before = _locked(session, subscription_id, token)
    name = subscription.add_on.name
    if subscription.status in (SubscriptionStatus.CANCELLED, SubscriptionStatus.PENDING):
        raise _refused(session, f"{name} is {subscription.status}: grant it again instead.")
    if subscription.expires_at is None:
        raise _refused(session, f"{name} never expires; there is nothing to extend.")
    if subscription.auto_renew and subscription.stripe_subscription_id:
        raise _refused(
            session,
            f"{name} renews through Stripe, which sets its end at every renewal. Suspend it, "
            "or have its renewal switched off, before extending it by hand.",
        )
    if expires_at <= max(subscription.expires_at, now):
        latest = max(subscription.expires_at, now).strftime("%Y-%m-%d %H:%M")
        raise _refused(session, f"Choose a time after {latest} UTC.", field="expires_at")
    subscription.expires_at = expires_at
    if subscription.status == SubscriptionStatus.EXPIRED:
        subscription.status = SubscriptionStatus.ACTIVE
        outbox_ids = events.subscriptions(session, events.SUBSCRIPTION_ACTIVATED, [subscription])
    else:
        outbox_ids = events.entitlements_changed(session, subscription.user_id)
    subscription_history.record(session, [subscription.id], now)
    _audit(session, actor, "subscription.extend", subscription, before, reason)
    session.commit()
    return Done(subscription, tuple(outbox_ids))


def suspend(
    session: Session, actor: Actor, subscription_id: uuid.UUID, token: str, reason: str | None
) -> Done:
    """Suspend an active subscription: its features stop at once and it renews no more (the
    shop's renewal switch carries that to Stripe); reactivating gives the time left back."""
    subscription, before = _locked(session, subscription_id, token)
    if subscription.status != SubscriptionStatus.ACTIVE:
        raise _refused(
            session,
            f"{subscription.add_on.name} is {subscription.status}, so it can't be suspended.",
        )
    outbox_ids = shop.stop_renewal(session, subscription)
    subscription.status = SubscriptionStatus.SUSPENDED
    outbox_ids += events.entitlements_changed(session, subscription.user_id)
    subscription_history.record(session, [subscription.id], utcnow())
    _audit(session, actor, "subscription.suspend", subscription, before, reason)
    session.commit()
    return Done(subscription, tuple(outbox_ids))


def reactivate(
    session: Session,
    actor: Actor,
    subscription_id: uuid.UUID,
    token: str,
    reason: str | None,
    now: datetime | None = None,
) -> Done:
    """Make a suspended subscription active again until its expiry (not renewing: the shopper
    switches renewal back on in "My add-ons"); one whose time ran out is extended first."""
    now = now or utcnow()
    subscription, before = _locked(session, subscription_id, token)
    name = subscription.add_on.name
    if subscription.status != SubscriptionStatus.SUSPENDED:
        raise _refused(session, f"{name} is {subscription.status}, so it can't be reactivated.")
    if subscription.expires_at is not None and subscription.expires_at <= now:
        raise _refused(
            session,
            f"{name} ran out on {subscription.expires_at:%Y-%m-%d}: extend it instead, to the "
            "time it should run to.",
        )
    subscription.status = SubscriptionStatus.ACTIVE
    outbox_ids = events.subscriptions(session, events.SUBSCRIPTION_ACTIVATED, [subscription])
    subscription_history.record(session, [subscription.id], now)
    _audit(session, actor, "subscription.reactivate", subscription, before, reason)
    session.commit()
    return Done(subscription, tuple(outbox_ids))


@dataclass(frozen=True)
class Grant:
    """A complimentary add-on: the subscription, its order of one zero-amount purchase and
    the letters."""

    subscription: UserAddOn
    order: Order
    purchase: AddOnPurchase
    outbox_ids: tuple[uuid.UUID, ...] = ()


def grant(
    session: Session,
    actor: Actor,
    user_id: str,
    add_on_id: uuid.UUID,
    expires_at: datetime,
    reason: str,
    now: datetime | None = None,
) -> Grant:
    """Give `user_id` the add-on free until `expires_at`: active, not renewing, not billed,
    recorded as a paid order of one zero-amount line naming the admin and the reason.

    Refused when the user holds it already (active, suspended or pending): extend or reactivate
    that instead. A cancelled or expired holding becomes the complimentary one."""
    now = now or utcnow()
    if expires_at <= now:
        raise _refused(session, "Choose a time in the future.", field="expires_at")
    add_on = session.get(AddOn, add_on_id)
    if add_on is None or not add_on.is_active:
        raise _refused(session, "Choose an add-on from the list.", field="add_on_id")
    held, before = _holding_to_give(session, user_id, add_on)
    held.status = SubscriptionStatus.ACTIVE
    held.purchased_at = now
    held.expires_at = expires_at
    held.auto_renew = False
    held.cancelled_at = None
    held.cancellation_reason = None
    # Nothing bills a gift: no Stripe subscription pays for it, no Lago one meters it, and it
    # adds nothing to MRR (DESIGN.md, Analytics: complimentary grants count 0).
    held.stripe_subscription_id = None
    held.lago_subscription_id = None
    held.recurring_amount = ZERO
    held.billing_type = None
    order, purchase = _zero_amount_order(session, actor, add_on, user_id, reason, now)
    after = {
        **snapshot(held),
        "add_on": add_on.name,
        "order_number": order.number,
        "purchase_id": purchase.id,
        "reason": reason,
    }
    record(session, actor, "subscription.grant", OBJECT_TYPE, held.id, before, after)
    outbox_ids = letters.order_confirmation(session, user_id, order.id)
    outbox_ids += events.fulfilled(session, [purchase])
    subscription_history.record(session, [held.id], now)
    session.commit()
    return Grant(held, order, purchase, tuple(outbox_ids))


def _holding_to_give(
    session: Session, user_id: str, add_on: AddOn
) -> tuple[UserAddOn, dict[str, Any] | None]:
    """The user's row of `add_on` to make complimentary (a new one, or their cancelled or
    expired one, locked) and its snapshot before; Refused when they hold it otherwise."""
    lock_shopper(session, user_id)  # no checkout of the same user fulfils meanwhile
    held = session.scalar(
        select(UserAddOn)
        .where(UserAddOn.user_id == user_id, UserAddOn.add_on_id == add_on.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if held is None:
        held = UserAddOn(id=uuid.uuid4(), user_id=user_id, add_on_id=add_on.id)
        session.add(held)
        return held, None
    if held.status not in (SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED):
        raise _refused(
            session,
            f"{user_id} holds {add_on.name} already ({held.status}): extend or reactivate it "
            "from its subscription page instead.",
            field="add_on_id",
        )
    return held, snapshot(held)


def _zero_amount_order(
    session: Session, actor: Actor, add_on: AddOn, user_id: str, reason: str, now: datetime
) -> tuple[Order, AddOnPurchase]:
    """A paid, numbered order of one line charging nothing, naming who granted it and why."""
    order = Order(
        id=uuid.uuid4(), user_id=user_id, subtotal=ZERO, total=ZERO, paid_at=now, created_at=now
    )
    purchase = AddOnPurchase(
        id=uuid.uuid4(),
        user_id=user_id,
        add_on_id=add_on.id,
        amount=ZERO,
        status=PurchaseStatus.COMPLETED,
        purchased_at=now,
        completed_at=now,
        billing_type=add_on.billing_type,
        order=order,
        granted_by=actor.user_id,
        grant_reason=reason,
    )
    session.add_all([order, purchase])
    session.flush()
    orders.assign_number(session, order)
    order.status = orders.derive_status([purchase])
    session.flush()
    return order, purchase


def _locked(
    session: Session, subscription_id: uuid.UUID, token: str
) -> tuple[UserAddOn, dict[str, Any]]:
    """The subscription, locked, and its snapshot; NotFound, or Conflict when it changed since
    the page carrying `token` was made."""
    subscription = session.get(
        UserAddOn, subscription_id, with_for_update=True, populate_existing=True
    )
    if subscription is None:
        session.rollback()
        raise NotFound(MISSING)
    if edit_token(subscription) != token:
        session.rollback()
        raise Conflict(CONFLICT)
    return subscription, snapshot(subscription)


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    subscription: UserAddOn,
    before: dict[str, Any],
    reason: str | None,
) -> None:
    old, new = changed_fields(before, snapshot(subscription))
    context = {"user_id": subscription.user_id, "add_on": subscription.add_on.name}
    new |= {**context, "reason": (reason or "").strip() or None}
    record(session, actor, action, OBJECT_TYPE, subscription.id, old, new)


def _refused(session: Session, message: str, field: str | None = None) -> Refused:
    """A refusal, the transaction rolled back first (nothing half-written)."""
    session.rollback()
    return Refused(message, field=field)
