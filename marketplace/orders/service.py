"""Orders in the checkout's own transactions: opened with the pending purchases, numbered and
totalled when paid, their status kept in step with their lines. A renewal the provider collects
is an order too, opened and paid in the renewal's transaction (one per invoice).

Order numbers are given when an order is first paid, not when its checkout starts: abandoned,
declined and superseded checkouts then use up no numbers, so paid orders are numbered in the
order they were paid with no gaps (a sequence value is lost only if the paying transaction
itself fails after taking it). A number, once given, never changes: a refunded order keeps it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from marketplace.models import AddOnPurchase, Order, PricingRule, PurchaseDiscount
from marketplace.models.orders import ORDER_NUMBERS
from marketplace.pricing import LineQuote
from marketplace.pricing.money import ZERO
from marketplace.vocabulary import DiscountKind, OrderStatus, PurchaseStatus

PAID_LINE = (PurchaseStatus.COMPLETED, PurchaseStatus.REFUNDED)


class Line(Protocol):
    """What an order's status is derived from: each line's status and refund."""

    @property
    def status(self) -> str: ...

    @property
    def refund_amount(self) -> Decimal | None: ...


def format_number(year: int, value: int) -> str:
    """An order number as shoppers quote it: MKT-2026-000123."""
    return f"MKT-{year}-{value:06d}"


def number_sql(paid_at: str, value: str) -> str:
    """`format_number` in SQL, for set-based loads: `paid_at` and `value` name columns (each is
    read more than once, so not `nextval(...)` itself)."""
    digits = f"({value})::text"
    return (
        f"'MKT-' || to_char({paid_at} AT TIME ZONE 'UTC', 'YYYY') || '-' || "
        f"lpad({digits}, greatest(6, length({digits})), '0')"
    )


def open_order(
    session: Session,
    user_id: str,
    priced: Sequence[tuple[AddOnPurchase, LineQuote, str | None]],
    *,
    promo_code: str | None,
) -> Order:
    """A pending order for a checkout's new purchases, each line's discounts itemised.

    `priced` pairs each purchase with the quote it was written from and its bundle's name.
    """
    order = Order(
        id=uuid.uuid4(),
        user_id=user_id,
        status=OrderStatus.PENDING,
        currency=priced[0][0].currency if priced else "USD",
        subtotal=sum((quote.subtotal for _, quote, _ in priced), ZERO),
        total=sum((quote.due_today for _, quote, _ in priced), ZERO),
    )
    session.add(order)
    for purchase, quote, bundle_name in priced:
        rule = session.get(PricingRule, quote.tier_rule_id) if quote.tier_rule_id else None
        purchase.order_id = order.id
        purchase.discounts = discount_lines(
            quote, tier=rule.tier_code if rule else None, bundle=bundle_name, code=promo_code
        )
    return order


def open_renewal(
    session: Session, user_id: str, invoice_id: str, currency: str, subtotal: Decimal
) -> Order | None:
    """A new order for a renewal invoice (its lines to follow, then `record_payment`); None when
    the invoice has its order already: another delivery of it recorded it, or is recording it
    (the unique invoice id makes this one wait for that one and then find it)."""
    order_id = session.execute(
        insert(Order)
        .values(
            id=uuid.uuid4(),
            user_id=user_id,
            status=OrderStatus.PENDING,
            currency=currency,
            subtotal=subtotal,
            total=subtotal,
            invoice_id=invoice_id,
        )
        .on_conflict_do_nothing(index_elements=[Order.invoice_id])
        .returning(Order.id)
    ).scalar_one_or_none()
    return None if order_id is None else session.get(Order, order_id)


def discount_lines(
    quote: LineQuote, *, tier: str | None, bundle: str | None, code: str | None
) -> list[PurchaseDiscount]:
    """The discounts the pricing engine applied to one line, each with the name it goes by
    (`tier`: the tier of the pricing rule that applied; a rule for every tier is a special
    price)."""
    found = [
        (
            DiscountKind.TIER,
            f"{tier.title()} tier price" if tier else "Special price",
            quote.tier_discount,
        ),
        (DiscountKind.BUNDLE, bundle_label(bundle), quote.bundle_discount),
        (DiscountKind.PROMO, f"Promo code {code}" if code else "Promo code", quote.promo_discount),
    ]
    return [
        PurchaseDiscount(kind=kind, label=label, amount=amount)
        for kind, label, amount in found
        if amount > 0
    ]


def bundle_label(name: str | None) -> str:
    """ "AI Productivity Bundle" as it is; "Enterprise Suite" as "Enterprise Suite bundle"."""
    if not name:
        return "Bundle"
    return name if "bundle" in name.lower() else f"{name} bundle"


def attach_session(session: Session, purchases: Sequence[AddOnPurchase], session_id: str) -> None:
    """Record the provider's session on the purchases' order."""
    for order in _orders_of(session, purchases):
        order.checkout_session_id = session_id


def discard(session: Session, order_ids: Iterable[uuid.UUID | None]) -> None:
    """Delete orders whose purchases were deleted (no session was ever opened for them)."""
    for order_id in set(order_ids) - {None}:
        order = session.get(Order, order_id)
        if order is not None and not _lines(session, order):
            session.delete(order)


def record_payment(
    session: Session,
    purchases: Sequence[AddOnPurchase],
    *,
    reference: str | None,
    tax: Decimal | None,
    total: Decimal | None,
    now: datetime,
) -> None:
    """A checkout's lines were paid: number its order (once), store what the provider charged
    (`total` with `tax`, when it says), and derive the status."""
    for order in _orders_of(session, purchases):
        lines = _lines(session, order)
        order.payment_reference = reference or order.payment_reference
        order.tax = tax
        order.total = (
            total
            if total is not None
            else sum((line.amount for line in lines), ZERO) + (tax or ZERO)
        )
        if order.paid_at is None:
            order.paid_at = now
        assign_number(session, order)
        order.status = derive_status(lines)


def assign_number(session: Session, order: Order) -> None:
    """Give a paid order its number, unless it has one already (it never changes)."""
    if order.number is not None or order.paid_at is None:
        return
    value = session.execute(ORDER_NUMBERS.next_value()).scalar_one()
    order.number = format_number(order.paid_at.year, value)


def close(session: Session, purchases: Sequence[AddOnPurchase], *, payment_failed: bool) -> None:
    """A checkout ended unpaid: its order failed (the payment was refused) or expired."""
    closed = OrderStatus.FAILED if payment_failed else OrderStatus.EXPIRED
    for order in _orders_of(session, purchases):
        order.status = derive_status(_lines(session, order), closed=closed)


def refresh(session: Session, purchases: Sequence[AddOnPurchase]) -> None:
    """Bring the orders of changed lines (a refund) up to date."""
    for order in _orders_of(session, purchases):
        order.status = derive_status(_lines(session, order), closed=OrderStatus(order.status))


def derive_status(lines: Sequence[Line], closed: OrderStatus = OrderStatus.FAILED) -> OrderStatus:
    """An order's status from its lines: pending while any waits; `closed` (failed or expired)
    when none was paid; else paid, partially refunded or refunded."""
    statuses = {line.status for line in lines}
    if not statuses or PurchaseStatus.PENDING in statuses:
        return OrderStatus.PENDING
    paid = [line for line in lines if line.status in PAID_LINE]
    if not paid:
        return closed if closed in (OrderStatus.FAILED, OrderStatus.EXPIRED) else OrderStatus.FAILED
    if all(line.status == PurchaseStatus.REFUNDED for line in paid):
        return OrderStatus.REFUNDED
    if any(line.status == PurchaseStatus.REFUNDED or line.refund_amount for line in paid):
        return OrderStatus.PARTIALLY_REFUNDED
    return OrderStatus.PAID


def _orders_of(session: Session, purchases: Sequence[AddOnPurchase]) -> list[Order]:
    """The orders of these purchases, locked (in id order) and with their lines as they are."""
    ids = sorted({p.order_id for p in purchases if p.order_id is not None})
    if not ids:
        return []
    return list(
        session.scalars(
            select(Order)
            .where(Order.id.in_(ids))
            .order_by(Order.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def _lines(session: Session, order: Order) -> list[AddOnPurchase]:
    """The order's lines as this transaction sees them (changes so far flushed)."""
    return list(session.scalars(select(AddOnPurchase).where(AddOnPurchase.order_id == order.id)))
