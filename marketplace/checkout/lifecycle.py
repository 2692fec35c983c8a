"""What the provider reports after checkout: renewals, ended subscriptions and refunds.

Each function locks the rows it changes and acts only on the transition it owns, one commit
each, so a duplicate or late event finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from marketplace.billing import outbox
from marketplace.checkout.outcomes import NOTHING, Event, Outcome, add_months, claim, done
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
    for held in _lock_subscriptions(session, subscription_id):
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
    return done(session, Outcome(changed=changed))


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
    for held in _lock_subscriptions(session, subscription_id):
        if held.status == SubscriptionStatus.CANCELLED:
            continue
        held.status = SubscriptionStatus.CANCELLED
        held.auto_renew = False
        held.cancelled_at = now
        held.cancellation_reason = "The subscription ended in Stripe."
        outbox_ids.append(
            outbox.enqueue(session, outbox.TERMINATE_SUBSCRIPTION, {"user_add_on_id": str(held.id)})
        )
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
    since its refund is recorded before the provider reports it.
    """
    now = now or utcnow()
    if not claim(session, event):
        return done(session, NOTHING)
    purchases = _lock_paid(session, [r for r in payment_references if r])
    shares = spread_refund(
        amount_refunded, {p.id: (p.amount, p.refund_amount or ZERO) for p in purchases}
    )
    for purchase in purchases:
        if purchase.id not in shares:
            continue
        purchase.refund_amount = (purchase.refund_amount or ZERO) + shares[purchase.id]
        purchase.refunded_at = now
        if purchase.refund_amount == purchase.amount:
            purchase.status = PurchaseStatus.REFUNDED
            purchase.refund_reason = purchase.refund_reason or "Refunded through Stripe."
            session.execute(
                update(UserAddOn)
                .where(
                    UserAddOn.user_id == purchase.user_id,
                    UserAddOn.add_on_id == purchase.add_on_id,
                )
                .values(status=SubscriptionStatus.SUSPENDED, auto_renew=False)
            )
    orders.refresh(session, [p for p in purchases if p.id in shares])
    return done(session, Outcome(changed=bool(shares)))


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
