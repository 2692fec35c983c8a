"""What a payment does to the database: one idempotent function per outcome, one commit each.

Every function locks the rows it changes (`FOR UPDATE`, in id order) and acts only on the
transition it owns, so a duplicate or late event — or the success page racing the webhook —
finds nothing left to do. A webhook event id is recorded in the same transaction (`stripe_events`
primary key), so a redelivered event is skipped before anything is read.
"""

from __future__ import annotations

import calendar
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, selectinload

from marketplace.billing import outbox
from marketplace.cart import queries as cart_queries
from marketplace.checkout.locks import lock_shopper
from marketplace.models import AddOnPurchase, CartItem, PromotionalCode, StripeEvent, UserAddOn
from marketplace.models.base import utcnow
from marketplace.pricing import Shopper, history_rejection
from marketplace.pricing.money import ZERO, allocate
from marketplace.promotions import service as promotions
from marketplace.vocabulary import BillingType, PurchaseStatus, SubscriptionStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """The webhook event being handled (for deduplication), or None for the success page."""

    id: str
    type: str


@dataclass(frozen=True)
class Payment:
    """A confirmed payment of a checkout session and the purchases it pays for."""

    session_id: str
    payment_reference: str | None
    subscription_id: str | None
    purchase_ids: tuple[uuid.UUID, ...] = ()
    user_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    """Whether anything changed, and the outbox entries to deliver after the commit."""

    changed: bool
    outbox_ids: tuple[uuid.UUID, ...] = ()


NOTHING = Outcome(changed=False)


def add_months(moment: datetime, months: int) -> datetime:
    """Add calendar months, keeping the day where the month has it (Jan 31 + 1 → Feb 28/29)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def fulfil(
    session: Session, payment: Payment, *, event: Event | None = None, now: datetime | None = None
) -> Outcome:
    """Complete the purchases of a paid session and activate what they bought.

    Purchases become `completed` with the payment reference; each add-on's `user_add_ons` row is
    upserted `active` (expiring in a month, a year, or never for one-time), auto-renewing when
    recurring; the bought cart lines go; Lago subscriptions are queued in the outbox.

    What the shopper may no longer buy is checked again here, under the shopper's lock: a line
    for an add-on they already hold, or a whole session whose promo code their history now rules
    out (another checkout completed first), is refunded through the provider, never kept.
    """
    now = now or utcnow()
    if event is not None and not _claim(session, event):
        return _done(session, NOTHING)
    for buyer in _buyers(session, payment):
        lock_shopper(session, buyer)
    purchases = _lock_purchases(session, payment.session_id, payment.purchase_ids, payment.user_id)
    due = [p for p in purchases if p.status in (PurchaseStatus.PENDING, PurchaseStatus.FAILED)]
    if not due:
        return _done(session, NOTHING)
    refused, owned = _unhonourable(session, due, now)
    kept = [p for p in due if p.id not in refused]
    # A session released (failed) and then paid after all: the money moved, so honour it and
    # take the promo use back (guarded: never past max_uses). A session refunded whole gives
    # its use back instead.
    for code_id in {p.promo_code_id for p in due if p.promo_code_id}:
        was_released = all(
            p.status == PurchaseStatus.FAILED for p in due if p.promo_code_id == code_id
        )
        if kept and was_released and not reserve_promo(session, code_id):
            log.warning("promo %s used up; honouring paid session %s", code_id, payment.session_id)
        elif not kept and not was_released:
            give_back_promo(session, code_id)
    outbox_ids = []
    for purchase in due:
        purchase.status = PurchaseStatus.COMPLETED
        purchase.stripe_payment_id = payment.payment_reference
        purchase.completed_at = now
        purchase.failure_reason = None
        purchase.checkout_session_id = purchase.checkout_session_id or payment.session_id
        if purchase.id in refused:
            purchase.status = PurchaseStatus.REFUNDED
            purchase.refund_amount = purchase.amount
            purchase.refunded_at = now
            purchase.refund_reason = refused[purchase.id]
            continue
        months = purchase.billing.months
        subscription_id = _activate(session, purchase, months, payment.subscription_id, now)
        if months is not None:
            outbox_ids.append(
                outbox.enqueue(
                    session,
                    outbox.CREATE_SUBSCRIPTION,
                    {
                        "user_id": purchase.user_id,
                        "user_add_on_id": str(subscription_id),
                        "plan_code": purchase.add_on.slug,
                    },
                )
            )
    outbox_ids.extend(_give_back(session, payment, [p for p in due if p.id in refused]))
    # The cart keeps only what the shopper still can buy (all of it when refunded whole).
    session.execute(
        delete(CartItem).where(
            CartItem.user_id.in_({p.user_id for p in due}),
            CartItem.add_on_id.in_(owned | {p.add_on_id for p in kept}),
        )
    )
    return _done(session, Outcome(changed=True, outbox_ids=tuple(outbox_ids)))


def _buyers(session: Session, payment: Payment) -> list[str]:
    """Whose lock a fulfilment takes: read before any row lock, so locks are taken in one order
    (shopper, then purchases) by checkout and fulfilment alike."""
    if payment.user_id is not None:
        return [payment.user_id]
    match = AddOnPurchase.checkout_session_id == payment.session_id
    if payment.purchase_ids:
        match = or_(match, AddOnPurchase.id.in_(list(payment.purchase_ids)))
    return sorted(session.scalars(select(AddOnPurchase.user_id).where(match).distinct()))


def _unhonourable(
    session: Session, due: Sequence[AddOnPurchase], now: datetime
) -> tuple[dict[uuid.UUID, str], frozenset[uuid.UUID]]:
    """The purchases of a paid session that must be refunded, each with the reason the shopper
    sees, and the add-ons among them the shopper already holds."""
    user_id = due[0].user_id
    code_ids = {p.promo_code_id for p in due if p.promo_code_id}
    facts = promotions.purchase_facts(session, user_id)
    for code_id in code_ids:
        row = session.get(PromotionalCode, code_id)
        shopper = Shopper(
            has_completed_purchase=facts.has_completed_purchase,
            used_promo_codes=facts.used_promo_codes,
        )
        rejection = row and history_rejection(promotions.to_pricing(row), shopper)
        if rejection:
            reason = (
                f"The code {row.code} could not be honoured ({rejection.message[0].lower()}"
                f"{rejection.message[1:].rstrip('.')}: another checkout completed first), "
                "so this payment was refunded in full. Check out again without it."
            )
            return {p.id: reason for p in due}, frozenset()
    owned = cart_queries.owned_add_on_ids(session, user_id, now, among=[p.add_on_id for p in due])
    reasons = {
        p.id: f"You already had {p.add_on.name}, so this payment for it was refunded in full."
        for p in due
        if p.add_on_id in owned
    }
    return reasons, owned


def _give_back(
    session: Session, payment: Payment, refunded: Sequence[AddOnPurchase]
) -> list[uuid.UUID]:
    """Queue the refund of `refunded` lines, and take them off the new provider subscription."""
    amount = sum((p.amount for p in refunded), ZERO)
    ids: list[uuid.UUID] = []
    if amount > 0 and payment.payment_reference:
        ids.append(
            outbox.enqueue(
                session,
                outbox.REFUND_PAYMENT,
                {
                    "payment_reference": payment.payment_reference,
                    "amount": str(amount),
                    "idempotency_key": f"refund-{payment.session_id}-unhonoured",
                    "purchase_ids": [str(p.id) for p in refunded],
                },
            )
        )
    if payment.subscription_id:
        for purchase in refunded:
            if purchase.billing.months:
                ids.append(
                    outbox.enqueue(
                        session,
                        outbox.REMOVE_PAYMENT_ITEM,
                        {
                            "subscription_id": payment.subscription_id,
                            "add_on_id": str(purchase.add_on_id),
                            "cancel_if_last": True,
                        },
                    )
                )
    return ids


def release(
    session: Session,
    session_id: str,
    reason: str,
    *,
    purchase_ids: Sequence[uuid.UUID] = (),
    user_id: str | None = None,
    event: Event | None = None,
) -> Outcome:
    """Fail the pending purchases of a session and give its promo use back, exactly once."""
    if event is not None and not _claim(session, event):
        return _done(session, NOTHING)
    pending = [
        p
        for p in _lock_purchases(session, session_id, purchase_ids, user_id)
        if p.status == PurchaseStatus.PENDING
    ]
    if not pending:
        return _done(session, NOTHING)
    fail(session, pending, reason)
    return _done(session, Outcome(changed=True))


def release_open_checkouts(session: Session, user_id: str, reason: str) -> None:
    """Fail every pending purchase of the shopper and give their promo uses back (no commit).

    The caller holds the shopper's lock and has closed the sessions at the provider first.
    """
    fail(
        session,
        session.scalars(
            select(AddOnPurchase)
            .where(AddOnPurchase.user_id == user_id, AddOnPurchase.status == PurchaseStatus.PENDING)
            .order_by(AddOnPurchase.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all(),
        reason,
    )


def fail(session: Session, pending: Sequence[AddOnPurchase], reason: str) -> None:
    """Mark pending purchases failed and give back the promo use each checkout reserved."""
    for purchase in pending:
        purchase.status = PurchaseStatus.FAILED
        purchase.failure_reason = reason
    # One use was reserved per checkout (a purchase not yet given its session id is one too).
    reserved = {(p.checkout_session_id, p.promo_code_id) for p in pending if p.promo_code_id}
    for _, code_id in reserved:
        give_back_promo(session, code_id)


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
    if event is not None and not _claim(session, event):
        return _done(session, NOTHING)
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
    return _done(session, Outcome(changed=changed))


def end_subscription(
    session: Session,
    subscription_id: str,
    *,
    event: Event | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Cancel what a deleted Stripe subscription covered and queue the Lago terminations."""
    now = now or utcnow()
    if event is not None and not _claim(session, event):
        return _done(session, NOTHING)
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
    return _done(session, Outcome(changed=bool(outbox_ids), outbox_ids=tuple(outbox_ids)))


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
    if event is not None and not _claim(session, event):
        return _done(session, NOTHING)
    references = [r for r in payment_references if r]
    purchases = list(
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
    charged = sum((p.amount for p in purchases), ZERO)
    recorded = sum((p.refund_amount or ZERO for p in purchases), ZERO)
    # Refunds recorded here already (an automatic one, or later an admin's) are part of the
    # provider's cumulative amount: only what goes beyond them is new.
    new = min(amount_refunded, charged) - recorded
    if new <= 0:
        return _done(session, NOTHING)
    remaining = {p.id: p.amount - (p.refund_amount or ZERO) for p in purchases}
    shares = allocate(new, {key: value for key, value in remaining.items() if value > 0})
    for purchase in purchases:
        share = shares.get(purchase.id, ZERO)
        if share == 0:
            continue
        purchase.refund_amount = (purchase.refund_amount or ZERO) + share
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
    return _done(session, Outcome(changed=True))


def reserve_promo(session: Session, code_id: uuid.UUID) -> bool:
    """Take one use of a code if it is active, unexpired and not used up (one guarded UPDATE)."""
    return (
        session.execute(
            text(
                "UPDATE promotional_codes SET current_uses = current_uses + 1 "
                "WHERE id = :id AND is_active "
                "AND (max_uses IS NULL OR current_uses < max_uses) "
                "AND (expires_at IS NULL OR expires_at > now()) "
                "AND (valid_from IS NULL OR valid_from <= now())"
            ),
            {"id": code_id},
        ).rowcount
        == 1
    )


def give_back_promo(session: Session, code_id: uuid.UUID) -> None:
    session.execute(
        update(PromotionalCode)
        .where(PromotionalCode.id == code_id, PromotionalCode.current_uses > 0)
        .values(current_uses=PromotionalCode.current_uses - 1)
    )


def _claim(session: Session, event: Event) -> bool:
    """Record `event`; False when it was already handled (or is being, by a racing request)."""
    inserted = session.execute(
        insert(StripeEvent)
        .values(id=event.id, type=event.type)
        .on_conflict_do_nothing(index_elements=[StripeEvent.id])
        .returning(StripeEvent.id)
    ).first()
    return inserted is not None


def _lock_purchases(
    session: Session, session_id: str, purchase_ids: Sequence[uuid.UUID], user_id: str | None
) -> list[AddOnPurchase]:
    """The purchases of a session (by its id or the ids in its metadata), locked in id order."""
    match = AddOnPurchase.checkout_session_id == session_id
    if purchase_ids:
        match = or_(match, AddOnPurchase.id.in_(list(purchase_ids)))
    # populate_existing: rows read earlier in this session (the success page did) must be
    # refreshed with what the lock waited for, or a racing fulfilment would be repeated.
    query = (
        select(AddOnPurchase)
        .where(match)
        .order_by(AddOnPurchase.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if user_id is not None:
        query = query.where(AddOnPurchase.user_id == user_id)
    return list(session.scalars(query))


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


def _activate(
    session: Session,
    purchase: AddOnPurchase,
    months: int | None,
    subscription_id: str | None,
    now: datetime,
) -> uuid.UUID:
    """Upsert the buyer's `user_add_ons` row for the purchase; return its id."""
    values = {
        "status": SubscriptionStatus.ACTIVE,
        "purchased_at": now,
        "expires_at": None if months is None else add_months(now, months),
        "auto_renew": months is not None,
        "stripe_subscription_id": subscription_id if months is not None else None,
        "cancelled_at": None,
        "cancellation_reason": None,
    }
    statement = insert(UserAddOn).values(
        id=uuid.uuid4(), user_id=purchase.user_id, add_on_id=purchase.add_on_id, **values
    )
    return session.execute(
        statement.on_conflict_do_update(
            index_elements=[UserAddOn.user_id, UserAddOn.add_on_id],
            set_={**values, "lago_subscription_id": None},
        ).returning(UserAddOn.id)
    ).scalar_one()


def _done(session: Session, outcome: Outcome) -> Outcome:
    session.commit()
    return outcome
