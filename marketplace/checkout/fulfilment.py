"""What a checkout's payment does to the database: fulfil it, or release it unpaid.

Each function locks the rows it changes (`FOR UPDATE`, in id order) and acts only on the
transition it owns, one commit each, so a duplicate or late event — or the success page racing
the webhook — finds nothing left to do.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from marketplace import funnel, subscription_history
from marketplace.billing import outbox
from marketplace.cart import queries as cart_queries
from marketplace.checkout.locks import lock_shopper
from marketplace.checkout.outcomes import NOTHING, Event, Outcome, add_months, claim, done
from marketplace.events import emit as events
from marketplace.mail import letters
from marketplace.models import AddOnPurchase, CartItem, PromotionalCode, UserAddOn
from marketplace.models.base import utcnow
from marketplace.orders import service as orders
from marketplace.payments import ProviderSession
from marketplace.pricing import Shopper, history_rejection
from marketplace.pricing.money import ZERO
from marketplace.promotions import service as promotions
from marketplace.vocabulary import FunnelStep, PurchaseStatus, SubscriptionStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Payment:
    """A confirmed payment of a checkout session and the purchases it pays for.

    `tax` and `amount_total` are what the provider computed and charged, when it says (Stripe
    Tax); otherwise no tax was collected and the total is what the lines add up to.
    """

    session_id: str
    payment_reference: str | None
    subscription_id: str | None
    purchase_ids: tuple[uuid.UUID, ...] = ()
    user_id: str | None = None
    tax: Decimal | None = None
    amount_total: Decimal | None = None

    @classmethod
    def of(cls, paid: ProviderSession, user_id: str) -> Payment:
        """The payment of a session the provider reports paid, for its shopper."""
        return cls(
            session_id=paid.id,
            payment_reference=paid.payment_reference,
            subscription_id=paid.subscription_id,
            user_id=user_id,
            tax=paid.amount_tax,
            amount_total=paid.amount_total,
        )


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
    if not claim(session, event):
        return done(session, NOTHING)
    for buyer in _buyers(session, payment):
        lock_shopper(session, buyer)
    purchases = _lock_purchases(session, payment.session_id, payment.purchase_ids, payment.user_id)
    due = [p for p in purchases if p.status in (PurchaseStatus.PENDING, PurchaseStatus.FAILED)]
    if not due:
        return done(session, NOTHING)
    refused, owned = _unhonourable(session, due, now)
    kept = [p for p in due if p.id not in refused]
    _settle_promo_uses(session, payment, due, kept)
    outbox_ids = []
    for purchase in due:
        _mark_paid(purchase, payment, now)
        if purchase.id in refused:
            _mark_refunded(purchase, refused[purchase.id], now)
        else:
            outbox_ids.extend(_activate(session, purchase, payment.subscription_id, now))
    outbox_ids.extend(_give_back(session, payment, [p for p in due if p.id in refused]))
    orders.record_payment(
        session,
        due,
        reference=payment.payment_reference,
        tax=payment.tax,
        total=payment.amount_total,
        now=now,
    )
    outbox_ids += [*_letters(session, payment, due, refused), *events.fulfilled(session, due)]
    if kept:
        funnel.reached(session, kept[0].user_id, FunnelStep.PAID)
    _clear_bought(session, due, owned | {p.add_on_id for p in kept})
    return done(session, Outcome(changed=True, outbox_ids=tuple(outbox_ids)))


def _clear_bought(
    session: Session, due: Sequence[AddOnPurchase], bought: frozenset[uuid.UUID] | set[uuid.UUID]
) -> None:
    """The cart keeps only what the shopper still can buy (all of it when refunded whole)."""
    session.execute(
        delete(CartItem).where(
            CartItem.user_id.in_({p.user_id for p in due}), CartItem.add_on_id.in_(bought)
        )
    )


def _settle_promo_uses(
    session: Session, payment: Payment, due: Sequence[AddOnPurchase], kept: Sequence[AddOnPurchase]
) -> None:
    """A session released (failed) and then paid after all: the money moved, so honour it and
    take the promo use back (guarded: never past max_uses). A session refunded whole gives its
    use back instead."""
    for code_id in {p.promo_code_id for p in due if p.promo_code_id}:
        was_released = all(
            p.status == PurchaseStatus.FAILED for p in due if p.promo_code_id == code_id
        )
        if kept and was_released and not promotions.reserve_promo(session, code_id):
            log.warning("promo %s used up; honouring paid session %s", code_id, payment.session_id)
        elif not kept and not was_released:
            promotions.give_back_promo(session, code_id)


def _mark_paid(purchase: AddOnPurchase, payment: Payment, now: datetime) -> None:
    purchase.status = PurchaseStatus.COMPLETED
    purchase.stripe_payment_id = payment.payment_reference
    purchase.completed_at = now
    purchase.failure_reason = None
    purchase.checkout_session_id = purchase.checkout_session_id or payment.session_id


def _mark_refunded(purchase: AddOnPurchase, reason: str, now: datetime) -> None:
    """A paid line fulfilment cannot honour: refunded in full (the provider is asked after the
    commit, through the outbox)."""
    purchase.status = PurchaseStatus.REFUNDED
    purchase.refund_amount = purchase.amount
    purchase.refunded_at = now
    purchase.refund_reason = reason


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
    shopper = Shopper(
        has_completed_purchase=facts.has_completed_purchase,
        used_promo_codes=facts.used_promo_codes,
    )
    for code_id in code_ids:
        row = session.get(PromotionalCode, code_id)
        if row is None:
            continue  # a code that no longer exists rules nothing out
        rejection = history_rejection(promotions.to_pricing(row), shopper)
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


def _letters(
    session: Session, payment: Payment, due: Sequence[AddOnPurchase], reasons: dict[uuid.UUID, str]
) -> list[uuid.UUID]:
    """The shopper's e-mail about this payment: the order confirmation for what they keep, and
    what was refunded at once (`reasons`: why, by purchase)."""
    kept = [p for p in due if p.id not in reasons]
    refunded = [p for p in due if p.id in reasons]
    ids: list[uuid.UUID] = []
    if kept and kept[0].order_id is not None:
        ids += letters.order_confirmation(session, kept[0].user_id, kept[0].order_id)
    amount = sum((p.amount for p in refunded), ZERO)
    if amount > 0 and payment.payment_reference:
        ids += letters.refund_issued(
            session,
            refunded[0].user_id,
            amount=amount,
            currency=refunded[0].currency,
            add_ons=[p.add_on.name for p in refunded],
            order_number=refunded[0].order.number if refunded[0].order else None,
            reason=" ".join(dict.fromkeys(reasons[p.id] for p in refunded)),
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
    payment_failed: bool = False,
) -> Outcome:
    """Fail the pending purchases of a session and give its promo use back, exactly once.

    Its order becomes `failed` when the payment was refused, else `expired`.
    """
    if not claim(session, event):
        return done(session, NOTHING)
    pending = [
        p
        for p in _lock_purchases(session, session_id, purchase_ids, user_id)
        if p.status == PurchaseStatus.PENDING
    ]
    if not pending:
        return done(session, NOTHING)
    fail(session, pending, reason, payment_failed=payment_failed)
    return done(session, Outcome(changed=True))


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


def fail(
    session: Session,
    pending: Sequence[AddOnPurchase],
    reason: str,
    *,
    payment_failed: bool = False,
) -> None:
    """Mark pending purchases failed, close their orders and give back the promo use each
    checkout reserved."""
    for purchase in pending:
        purchase.status = PurchaseStatus.FAILED
        purchase.failure_reason = reason
    orders.close(session, pending, payment_failed=payment_failed)
    # One use was reserved per checkout (a purchase not yet given its session id is one too).
    reserved = {(p.checkout_session_id, p.promo_code_id) for p in pending if p.promo_code_id}
    for _, code_id in reserved:
        promotions.give_back_promo(session, code_id)


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


def _activate(
    session: Session, purchase: AddOnPurchase, subscription_id: str | None, now: datetime
) -> list[uuid.UUID]:
    """Upsert the buyer's `user_add_ons` row for the purchase; queue its Lago subscription when
    it recurs (returned: the outbox entries)."""
    months = purchase.billing.months
    values = {
        "status": SubscriptionStatus.ACTIVE,
        "purchased_at": now,
        "expires_at": None if months is None else add_months(now, months),
        "auto_renew": months is not None,
        "stripe_subscription_id": subscription_id if months is not None else None,
        "cancelled_at": None,
        "cancellation_reason": None,
        "recurring_amount": ZERO if months is None else subscription_history.renews_at(purchase),
        "billing_type": purchase.billing.value,
    }
    statement = insert(UserAddOn).values(
        id=uuid.uuid4(), user_id=purchase.user_id, add_on_id=purchase.add_on_id, **values
    )
    held_id = session.execute(
        statement.on_conflict_do_update(
            index_elements=[UserAddOn.user_id, UserAddOn.add_on_id],
            set_={**values, "lago_subscription_id": None},
        ).returning(UserAddOn.id)
    ).scalar_one()
    subscription_history.record(session, [held_id], now)
    if months is None:
        return []
    lago = {"user_id": purchase.user_id, "user_add_on_id": str(held_id)}
    return [
        outbox.enqueue(
            session, outbox.CREATE_SUBSCRIPTION, {**lago, "plan_code": purchase.add_on.slug}
        )
    ]
