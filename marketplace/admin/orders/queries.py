"""Read orders for the admin area: the filtered, keyset-paged list and one order's page."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.orm import Session, selectinload

from marketplace.admin.audit.queries import history
from marketplace.admin.keyset import split_page
from marketplace.models import (
    AddOn,
    AddOnPurchase,
    AdminAuditEntry,
    Order,
    PromotionalCode,
    Refund,
    RefundLine,
    ShopperContact,
)

PAGE_SIZE = 50
OBJECT_TYPE = "order"  # the audit log's object type of an order (refunds record it)
# What an order number looks like (orders.service.format_number): the code box takes either.
ORDER_NUMBER = re.compile(r"^MKT-\d{4}-\d{6,}$", re.IGNORECASE)


@dataclass(frozen=True)
class OrderFilters:
    """What the order list shows; None is "any"."""

    status: str | None = None
    add_on: str | None = None  # an add-on's slug
    user_id: str | None = None
    code: str | None = None  # an order number, or a promo code used on one of its lines
    since: date | None = None  # created on or after this day (UTC)
    until: date | None = None  # created on or before this day (UTC)


@dataclass(frozen=True)
class OrderCursor:
    """Where the next page starts: just after (older than) this order."""

    created_at: datetime
    id: uuid.UUID

    def token(self) -> str:
        return f"{self.created_at.isoformat()}~{self.id}"

    @classmethod
    def parse(cls, token: str) -> OrderCursor:
        """Read a `token()`; ValueError when it is not one."""
        when, _, row_id = token.rpartition("~")
        created_at = datetime.fromisoformat(when)
        if created_at.tzinfo is None:
            raise ValueError("a cursor's time has a time zone")
        return cls(created_at=created_at, id=uuid.UUID(row_id))


@dataclass(frozen=True)
class OrderRow:
    order: Order
    lines: int


@dataclass(frozen=True)
class OrderPage:
    orders: list[OrderRow]
    next_cursor: OrderCursor | None


def order_list(
    session: Session, filters: OrderFilters, after: OrderCursor | None = None, size: int = PAGE_SIZE
) -> OrderPage:
    """The newest orders matching `filters`, older than `after`, with their line counts.

    Served by idx_orders_created (no filter, dates), idx_orders_status_created (status),
    idx_orders_user_date (user), idx_add_on_purchases_add_on_order (add-on), the number's unique
    index and idx_add_on_purchases_promo_code (code)."""
    query = select(Order).where(*_conditions(filters))
    if after is not None:
        query = query.where(tuple_(Order.created_at, Order.id) < (after.created_at, after.id))
    query = query.order_by(Order.created_at.desc(), Order.id.desc()).limit(size + 1)
    orders, last = split_page(list(session.scalars(query)), size)
    counts = _line_counts(session, [order.id for order in orders])
    return OrderPage(
        orders=[OrderRow(order, counts.get(order.id, 0)) for order in orders],
        next_cursor=OrderCursor(last.created_at, last.id) if last else None,
    )


def _conditions(filters: OrderFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.status:
        conditions.append(Order.status == filters.status)
    if filters.user_id:
        conditions.append(Order.user_id == filters.user_id)
    if filters.add_on:
        add_on = select(AddOn.id).where(AddOn.slug == filters.add_on).scalar_subquery()
        conditions.append(Order.id.in_(_orders_with(AddOnPurchase.add_on_id == add_on)))
    if filters.code:
        conditions.append(_code_condition(filters.code))
    if filters.since:
        conditions.append(Order.created_at >= _midnight(filters.since))
    if filters.until:
        conditions.append(Order.created_at < _midnight(filters.until + timedelta(days=1)))
    return conditions


def _code_condition(code: str) -> ColumnElement[bool]:
    """An order number matches its order; anything else is a promo code (any case)."""
    if ORDER_NUMBER.match(code):
        return Order.number == code.upper()
    promo = select(PromotionalCode.id).where(func.upper(PromotionalCode.code) == code.upper())
    return Order.id.in_(_orders_with(AddOnPurchase.promo_code_id.in_(promo)))


def _orders_with(condition: ColumnElement[bool]) -> Select[tuple[uuid.UUID | None]]:
    return select(AddOnPurchase.order_id).where(condition, AddOnPurchase.order_id.is_not(None))


def _line_counts(session: Session, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    if not order_ids:
        return {}
    rows = session.execute(
        select(AddOnPurchase.order_id, func.count())
        .where(AddOnPurchase.order_id.in_(order_ids))
        .group_by(AddOnPurchase.order_id)
    )
    return {order_id: count for order_id, count in rows if order_id is not None}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    contact: ShopperContact | None
    history: list[AdminAuditEntry]
    refunds: list[Refund]


def order_detail(session: Session, order_id: uuid.UUID) -> OrderDetail | None:
    """One order with its lines (add-on, discounts), the buyer's contact, history and refunds."""
    order = session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(
            selectinload(Order.lines).selectinload(AddOnPurchase.add_on),
            selectinload(Order.lines).selectinload(AddOnPurchase.discounts),
        )
    )
    if order is None:
        return None
    return OrderDetail(
        order=order,
        contact=session.get(ShopperContact, order.user_id),
        history=history(session, OBJECT_TYPE, order.id),
        refunds=refunds_of(session, order.id),
    )


def refunds_of(session: Session, order_id: uuid.UUID) -> list[Refund]:
    """The order's admin refunds, oldest first, with their lines (idx_refunds_order)."""
    return list(
        session.scalars(
            select(Refund)
            .where(Refund.order_id == order_id)
            .options(selectinload(Refund.lines).selectinload(RefundLine.purchase))
            .order_by(Refund.created_at, Refund.id)
        )
    )
