"""Reads of a user's orders: the purchases page, one receipt, and the order of a purchase or a
checkout session. Every read is by (id, user id), so someone else's order is not found."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, joinedload, selectinload

from marketplace.models import AddOn, AddOnPurchase, Order

MAX_PER_PAGE = 100


@dataclass(frozen=True)
class OrderPage:
    """One page of a user's orders, newest first; `has_next` says whether more follow."""

    items: list[Order]
    page: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def with_lines(statement: Select) -> Select:
    """Each order's lines, their add-ons and discounts, in two more queries for any number."""
    return statement.options(
        selectinload(Order.lines).options(
            joinedload(AddOnPurchase.add_on), selectinload(AddOnPurchase.discounts)
        )
    )


def order_history(
    session: Session,
    user_id: str,
    *,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = 1,
    per_page: int = 20,
    text: str | None = None,
) -> OrderPage:
    """Return page `page` of the user's orders (optionally filtered), newest first.

    `text` keeps orders with a line whose add-on name contains it, in any case.
    """
    if page < 1:
        raise ValueError(f"page must be at least 1, got {page}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
    # idx_orders_user_date (user_id, created_at DESC) gives the order and the since/until
    # range; one extra row tells whether a next page exists, so no COUNT(*).
    statement = (
        select(Order)
        .where(Order.user_id == user_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    if status is not None:
        statement = statement.where(Order.status == status)
    if since is not None:
        statement = statement.where(Order.created_at >= since)
    if until is not None:
        statement = statement.where(Order.created_at < until)
    if text:
        pattern = f"%{escape_like(text)}%"
        statement = statement.where(
            exists()
            .where(AddOnPurchase.order_id == Order.id, AddOn.id == AddOnPurchase.add_on_id)
            .where(AddOn.name.ilike(pattern, escape="\\"))
        )
    rows = list(session.scalars(with_lines(statement)))
    return OrderPage(
        items=rows[:per_page], page=page, per_page=per_page, has_next=len(rows) > per_page
    )


def receipt(session: Session, user_id: str, order_id: uuid.UUID) -> Order | None:
    """The user's paid order `order_id` with everything its receipt shows, else None (someone
    else's order, or one never paid: a receipt is the record of a payment)."""
    return session.scalars(
        with_lines(
            select(Order).where(
                Order.id == order_id, Order.user_id == user_id, Order.number.is_not(None)
            )
        )
    ).one_or_none()


def order_of_purchase(session: Session, user_id: str, purchase_id: uuid.UUID) -> Order | None:
    """The order one of the user's purchases belongs to (old per-purchase receipt links)."""
    return session.scalars(
        select(Order)
        .join(AddOnPurchase, AddOnPurchase.order_id == Order.id)
        .where(AddOnPurchase.id == purchase_id, AddOnPurchase.user_id == user_id)
    ).one_or_none()


def order_of_session(session: Session, user_id: str, session_id: str) -> Order | None:
    """The user's order of a checkout session (idx_orders_checkout_session), if any."""
    return session.scalars(
        select(Order).where(Order.checkout_session_id == session_id, Order.user_id == user_id)
    ).first()


def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern (ESCAPE backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
