"""What the provider reports after checkout: renewals (recorded as paid orders), ended
subscriptions and refunds (each a dated refund row).

Each function locks the rows it changes and acts only on the transition it owns, one commit
each, so a duplicate or late event finds nothing left to do.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from marketplace import subscription_history
from marketplace.billing import outbox
from marketplace.checkout.outcomes import NOTHING, Event, Outcome, add_months, claim, done
from marketplace.events import emit as events
from marketplace.mail import letters
from marketplace.models import AddOnPurchase, Refund, RefundLine, UserAddOn
from marketplace.models.base import utcnow
from marketplace.orders import service as orders
from marketplace.payments.events import InvoiceLine, PaidInvoice
from marketplace.pricing.money import ZERO, spread_refund
from marketplace.vocabulary import BillingType, PurchaseStatus, SubscriptionStatus

log = logging.getLogger(__name__)

# Who made, and why, a refund the provider reported on its own (its dashboard, its API).
PROVIDER = "Stripe"
PROVIDER_REFUND = "Refunded through Stripe."


def renew(
    session: Session,
    subscription_id: str,
    period_end: datetime | None,
    *,
    invoice: PaidInvoice | None = None,
    event: Event | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Extend the subscriptions a renewal invoice paid for (never shortening them), and record
    what `invoice` charged as a paid order (`_record_renewal`).

    Only rows still renewing are extended: an add-on whose renewal was switched off had its
    item taken off a shared subscription, so the invoice did not pay for it (it runs out at
    `expires_at`). Nothing here changes what a subscription renews at, so MRR does not move.
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
    if invoice is not None:
        recorded = _record_renewal(session, invoice, rows, now)
        changed, outbox_ids = changed or bool(recorded), outbox_ids + recorded
    return done(session, Outcome(changed=changed, outbox_ids=tuple(outbox_ids)))


def _record_renewal(
    session: Session, invoice: PaidInvoice, rows: Sequence[UserAddOn], now: datetime
) -> list[uuid.UUID]:
    """Record a renewal invoice as a paid, numbered order with a completed purchase per line
    (the add-on it renewed, what it charged), once per invoice; lines that renewed no add-on
    held on the subscription are logged and left out. The outbox entries: the shopper's
    receipt (the order confirmation) and `purchase.completed` for each line."""
    matched = renewed_lines(invoice.lines, rows)
    left_out = sum(1 for line in invoice.lines if line.amount > 0) - len(matched)
    if left_out:
        log.warning("renewal invoice %s: %d line(s) match no add-on held", invoice.id, left_out)
    if not matched:
        return []
    user_id = matched[0][1].user_id
    subtotal = sum((line.amount for line, _ in matched), ZERO)
    order = orders.open_renewal(session, user_id, invoice.id, invoice.currency, subtotal)
    if order is None:
        return []  # another delivery of this invoice recorded it
    paid = [
        AddOnPurchase(
            user_id=held.user_id,
            add_on=held.add_on,
            amount=line.amount,
            quantity=line.quantity,
            currency=invoice.currency,
            status=PurchaseStatus.COMPLETED,
            billing_type=held.billing_type or held.add_on.billing_type,
            stripe_payment_id=invoice.payment_reference,
            purchased_at=now,
            completed_at=now,
            order_id=order.id,
        )
        for line, held in matched
    ]
    session.add_all(paid)
    orders.record_payment(
        session, paid, reference=invoice.payment_reference, tax=invoice.tax, total=None, now=now
    )
    return [
        *letters.order_confirmation(session, user_id, order.id),
        *events.renewal_paid(session, paid),
    ]


def renewed_lines(
    lines: Sequence[InvoiceLine], rows: Sequence[UserAddOn]
) -> list[tuple[InvoiceLine, UserAddOn]]:
    """Each charging line of a renewal invoice with the held add-on it renewed.

    An invoice line names a provider subscription item, not an add-on (the add-on id is on the
    item's product, which an event does not carry), and an item charges exactly what its add-on
    renews at (checkout priced it so). So a line goes to an add-on renewing at its amount:
    still-renewing ones first (an add-on whose renewal was switched off had its item removed),
    then in id order; add-ons at the same amount are interchangeable. One line and one renewing
    add-on left over go together (its price was changed at the provider). Credits, free lines
    and lines left over otherwise are not matched.
    """
    free = sorted(rows, key=lambda held: (not _renewing(held), held.id))
    matched, unmatched = [], []
    for line in (line for line in lines if line.amount > 0):
        held = next((held for held in free if held.recurring_amount == line.amount), None)
        if held is None:
            unmatched.append(line)
            continue
        free.remove(held)
        matched.append((line, held))
    renewing = [held for held in free if _renewing(held)]
    if len(unmatched) == 1 and len(renewing) == 1:
        matched.append((unmatched[0], renewing[0]))
    return matched


def _renewing(held: UserAddOn) -> bool:
    return held.status == SubscriptionStatus.ACTIVE and held.auto_renew


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
    refund_id: str | None = None,
    event: Event | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Record a refund (Stripe's cumulative `amount_refunded`) on the purchases it paid for.

    What goes beyond the refunds already recorded is spread over the purchases in proportion to
    what each has left, and becomes a dated refund row per order (`_itemise`: the provider's
    `refund_id`, else the event's id); a purchase refunded in full becomes `refunded` and the
    add-on it bought is suspended. A purchase refunded here automatically (never activated)
    suspends nothing, since its refund is recorded before the provider reports it. Neither does
    an admin's refund (admin/orders/refunds.py): it holds these rows' locks while it asks the
    provider and records its shares and its row, so the event that follows finds them part of
    what is already recorded and adds no second row.
    """
    now = now or utcnow()
    if not claim(session, event):
        return done(session, NOTHING)
    purchases = _lock_paid(session, [r for r in payment_references if r])
    shares = spread_refund(
        amount_refunded, {p.id: (p.amount, p.refund_amount or ZERO) for p in purchases}
    )
    refunded = record_refund(session, purchases, shares, reason=PROVIDER_REFUND, now=now)
    source = event.id if event is not None else uuid.uuid4().hex
    _itemise(
        session, refunded, shares, provider_refund_id=refund_id or source, source=source, now=now
    )
    outbox_ids = refund_notices(session, refunded, shares, reason=None)
    return done(session, Outcome(changed=bool(shares), outbox_ids=tuple(outbox_ids)))


def _itemise(
    session: Session,
    refunded: Sequence[AddOnPurchase],
    shares: Mapping[uuid.UUID, Decimal],
    *,
    provider_refund_id: str,
    source: str,
    now: datetime,
) -> None:
    """A refund row per order for what a refund the provider reported gave back, a line per
    share, keyed by `source` (the event) and the order, so no event makes two. A purchase
    without an order (written outside checkout) keeps its refund as its total only."""
    by_order: dict[uuid.UUID, list[AddOnPurchase]] = {}
    for purchase in refunded:
        if purchase.order_id is not None:
            by_order.setdefault(purchase.order_id, []).append(purchase)
    for order_id, lines in sorted(by_order.items()):
        key = hashlib.sha256(f"{source}|{order_id}".encode()).hexdigest()[:48]
        session.add(
            Refund(
                order_id=order_id,
                reason=PROVIDER_REFUND,
                provider_refund_id=provider_refund_id,
                idempotency_key=f"provider-refund-{key}",
                actor=PROVIDER,
                created_at=now,
                lines=[RefundLine(purchase_id=p.id, amount=shares[p.id]) for p in lines],
            )
        )


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
