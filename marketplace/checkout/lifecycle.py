"""What the provider reports after checkout: renewals, ended subscriptions and refunds.

Each function locks the rows it changes and acts only on the transition it owns, one commit
each, so a duplicate or late event finds nothing left to do.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from marketplace import subscription_history
from marketplace.billing import outbox
from marketplace.checkout.outcomes import NOTHING, Event, Outcome, add_months, claim, done
from marketplace.events import emit as events
from marketplace.mail import letters
from marketplace.models import AddOnPurchase, UserAddOn
from marketplace.models.base import utcnow
from marketplace.orders import service as orders
from marketplace.pricing.money import ZERO, spread_refund
from marketplace.vocabulary import BillingType, PurchaseStatus, SubscriptionStatus


def renew(
    session: Session,
    subscription_id: str,
    period_end: datetime | None,
    *,
    event: Event | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Extend the subscriptions a renewal invoice paid for (never shortening them).

    Only rows still renewing are: an add-on whose renewal was switched off had its item taken
    off a shared subscription, so the invoice did not pay for it (it runs out at `expires_at`).
    """
    now = now or utcnow()
    if not claim(session, event):
        return done(session, NOTHING)
    changed = False
    rows = _lock_subscriptions(session, subscription_id)
    lapsed = [held for held in rows if held.status == SubscriptionStatus.EXPIRED]
    for held in rows:
        if held.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.EXPIRED):
            continue  # cancelled or suspended (refunded) stay so
        if not held.auto_renew:
            continue  # not renewing: its item is gone, or the subscription ends with the period
        months = BillingType(held.add_on.billing_type).months or 1
        new_expiry = period_end or add_months(max(held.expires_at or now, now), months)
        if (
            held.expires_at is None
            or new_expiry > held.expires_at
            or held.status != SubscriptionStatus.ACTIVE
        ):
            held.expires_at = max(new_expiry, held.expires_at or new_expiry)
            held.status = SubscriptionStatus.ACTIVE
            changed = True
    renewed = [held for held in lapsed if held.status == SubscriptionStatus.ACTIVE]
    outbox_ids = events.subscriptions(session, events.SUBSCRIPTION_ACTIVATED, renewed)
    subscription_history.record(session, [held.id for held in rows], now)
    return done(session, Outcome(changed=changed, outbox_ids=tuple(outbox_ids)))


def renewal_failed(
    session: Session,
    subscription_id: str,
    *,
    amount_due: Decimal,
    currency: str,
    next_attempt: datetime | None,
    pay_url: str | None = None,
    event: Event | None = None,
) -> Outcome:
    """A renewal the provider could not collect: nothing is extended or marked paid; each
    shopper whose add-ons it was renewing is told what to do (once per event)."""
    if not claim(session, event):
        return done(session, NOTHING)
    renewing: dict[str, list[UserAddOn]] = {}
    for held in _lock_subscriptions(session, subscription_id):
        if held.status == SubscriptionStatus.ACTIVE and held.auto_renew:
            renewing.setdefault(held.user_id, []).append(held)
    outbox_ids = [
        entry
        for user_id, rows in renewing.items()
        for entry in letters.renewal_failed(
            session,
            user_id,
            add_ons=sorted(row.add_on.name for row in rows),
            paid_until=min((row.expires_at for row in rows if row.expires_at), default=None),
            amount_due=amount_due,
            currency=currency,
            next_attempt=next_attempt,
            pay_url=pay_url,
        )
    ]
    return done(session, Outcome(changed=bool(outbox_ids), outbox_ids=tuple(outbox_ids)))


def end_subscription(
    session: Session,
    subscription_id: str,
    *,
    event: Event | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Cancel what a deleted Stripe subscription covered and queue the Lago terminations."""
    now = now or utcnow()
    if not claim(session, event):
        return done(session, NOTHING)
    outbox_ids = []
    ended = [
        held
        for held in _lock_subscriptions(session, subscription_id)
        if held.status != SubscriptionStatus.CANCELLED
    ]
    for held in ended:
        held.status = SubscriptionStatus.CANCELLED
        held.auto_renew = False
        held.cancelled_at = now
        held.cancellation_reason = "The subscription ended in Stripe."
        outbox_ids.append(
            outbox.enqueue(session, outbox.TERMINATE_SUBSCRIPTION, {"user_add_on_id": str(held.id)})
        )
        # Its features stop now and nothing is refunded; the letter says the provider ended it.
        outbox_ids += letters.subscription_cancelled(
            session,
            held.user_id,
            held.add_on.name,
            cancelled_at=now,
            access_until=None,
            by_shopper=False,
        )
    outbox_ids += events.subscriptions(session, events.SUBSCRIPTION_CANCELLED, ended)
    subscription_history.record(session, [held.id for held in ended], now)
    return done(session, Outcome(changed=bool(outbox_ids), outbox_ids=tuple(outbox_ids)))


def refund(
    session: Session,
    payment_references: Iterable[str],
    amount_refunded: Decimal,
    *,
    event: Event | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Record a refund (Stripe's cumulative `amount_refunded`) on the purchases it paid for.

    What goes beyond the refunds already recorded is spread over the purchases in proportion to
    what each has left; a purchase refunded in full becomes `refunded` and the add-on it bought
    is suspended. A purchase refunded here automatically (never activated) suspends nothing,
    since its refund is recorded before the provider reports it. Neither does an admin's refund
    (admin/orders/refunds.py): it holds these rows' locks while it asks the provider and records
    its shares, so the event that follows finds them part of what is already recorded.
    """
    now = now or utcnow()
    if not claim(session, event):
        return done(session, NOTHING)
    purchases = _lock_paid(session, [r for r in payment_references if r])
    shares = spread_refund(
        amount_refunded, {p.id: (p.amount, p.refund_amount or ZERO) for p in purchases}
    )
    refunded = record_refund(session, purchases, shares, reason="Refunded through Stripe.", now=now)
    outbox_ids = refund_notices(session, refunded, shares, reason=None)
    return done(session, Outcome(changed=bool(shares), outbox_ids=tuple(outbox_ids)))


def record_refund(
    session: Session,
    purchases: Iterable[AddOnPurchase],
    shares: Mapping[uuid.UUID, Decimal],
    *,
    reason: str,
    now: datetime,
) -> list[AddOnPurchase]:
    """Add each locked purchase's share of a refund to what it has refunded; return those that
    got one. A purchase refunded in full becomes `refunded` (with `reason` unless it has one)
    and the add-on it bought is suspended; the orders' statuses follow. No commit."""
    refunded = [p for p in purchases if p.id in shares]
    for purchase in refunded:
        purchase.refund_amount = (purchase.refund_amount or ZERO) + shares[purchase.id]
        purchase.refunded_at = now
        if purchase.refund_amount == purchase.amount:
            purchase.status = PurchaseStatus.REFUNDED
            purchase.refund_reason = purchase.refund_reason or reason
            session.execute(
                update(UserAddOn)
                .where(
                    UserAddOn.user_id == purchase.user_id,
                    UserAddOn.add_on_id == purchase.add_on_id,
                )
                .values(status=SubscriptionStatus.SUSPENDED, auto_renew=False)
            )
    subscription_history.record_holdings(
        session,
        {(p.user_id, p.add_on_id) for p in refunded if p.status == PurchaseStatus.REFUNDED},
        now,
    )
    orders.refresh(session, refunded)
    return refunded


def refund_notices(
    session: Session,
    refunded: list[AddOnPurchase],
    shares: Mapping[uuid.UUID, Decimal],
    *,
    reason: str | None,
) -> list[uuid.UUID]:
    """Tell each shopper what this refund gave back (one letter per shopper and order), and the
    platform's services (`purchase.refunded`, and `entitlements.updated` when a line ended)."""
    ids: list[uuid.UUID] = []
    groups: dict[tuple[str, uuid.UUID | None], list[AddOnPurchase]] = {}
    for purchase in refunded:
        groups.setdefault((purchase.user_id, purchase.order_id), []).append(purchase)
    for (user_id, _), lines in groups.items():
        ids += letters.refund_issued(
            session,
            user_id,
            amount=sum((shares[p.id] for p in lines), ZERO),
            currency=lines[0].currency,
            add_ons=[p.add_on.name for p in lines],
            order_number=lines[0].order.number if lines[0].order else None,
            reason=reason,
        )
    return ids + events.refunded(session, refunded)


def _lock_paid(session: Session, references: list[str]) -> list[AddOnPurchase]:
    """The paid (or refunded) purchases of these payment references, locked in id order."""
    return list(
        session.scalars(
            select(AddOnPurchase)
            .where(
                AddOnPurchase.stripe_payment_id.in_(references),
                AddOnPurchase.status.in_((PurchaseStatus.COMPLETED, PurchaseStatus.REFUNDED)),
            )
            .order_by(AddOnPurchase.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def _lock_subscriptions(session: Session, subscription_id: str) -> list[UserAddOn]:
    return list(
        session.scalars(
            select(UserAddOn)
            .where(UserAddOn.stripe_subscription_id == subscription_id)
            .options(selectinload(UserAddOn.add_on))  # renewals read each add-on's period
            .order_by(UserAddOn.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
