"""Read customers for the admin area: the searchable, keyset-paged list and one customer's page.

A customer is a user id the marketplace knows from an order, a subscription or a sign-in
(`shopper_contacts`); there is no user table (the platform's identity provider holds users).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select, union
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from marketplace.admin.audit.queries import history
from marketplace.admin.keyset import split_page
from marketplace.models import AddOnPurchase, AdminAuditEntry, Order, ShopperContact, UserAddOn
from marketplace.orders.queries import escape_like
from marketplace.vocabulary import SubscriptionStatus

PAGE_SIZE = 50
ORDERS_SHOWN = 50
T = TypeVar("T")
ZERO = Decimal("0.00")
OBJECT_TYPE = "customer"  # the audit log's object type of a customer (object id: user id)


@dataclass(frozen=True)
class CustomerSummary:
    user_id: str
    contact: ShopperContact | None
    orders: int
    paid: Decimal  # paid orders' totals minus what was refunded on their lines
    active_subscriptions: int


@dataclass(frozen=True)
class CustomerCursor:
    """Where the next page starts: just after this user id."""

    user_id: str

    def token(self) -> str:
        return self.user_id


@dataclass(frozen=True)
class CustomerPage:
    customers: list[CustomerSummary]
    next_cursor: CustomerCursor | None


def customer_list(
    session: Session,
    q: str = "",
    after: str | None = None,
    now: datetime | None = None,
    size: int = PAGE_SIZE,
) -> CustomerPage:
    """Customers whose user id is `q` or whose e-mail address starts with `q` (any case), by
    user id, after `after`.

    Each source gives its first distinct user ids in index order (idx_orders_user_date,
    user_add_ons' unique (user_id, add_on_id), shopper_contacts' key; the e-mail prefix through
    idx_shopper_contacts_email_prefix), so a page reads about a page of each, never a table."""
    sources = [
        _first_users(Order.user_id, after, Order.user_id == q if q else None, size),
        _first_users(UserAddOn.user_id, after, UserAddOn.user_id == q if q else None, size),
        _first_users(ShopperContact.user_id, after, _contact_match(q), size),
    ]
    found = union(*sources).subquery()
    query = select(found.c.user_id).order_by(found.c.user_id).limit(size + 1)
    ids, last = split_page(list(session.scalars(query)), size)
    cursor = CustomerCursor(last) if last is not None else None
    return CustomerPage(customers=summaries(session, ids, now), next_cursor=cursor)


def _first_users(
    column: InstrumentedAttribute[str],
    after: str | None,
    match: ColumnElement[bool] | None,
    size: int,
) -> Select[tuple[str]]:
    query = select(column.label("user_id")).distinct().order_by(column).limit(size + 1)
    if after is not None:
        query = query.where(column > after)
    return query.where(match) if match is not None else query


def _contact_match(q: str) -> ColumnElement[bool] | None:
    if not q:
        return None
    return or_(
        ShopperContact.user_id == q,
        func.lower(ShopperContact.email).like(escape_like(q.lower()) + "%"),
    )


def summaries(
    session: Session, user_ids: Sequence[str], now: datetime | None = None
) -> list[CustomerSummary]:
    """Contact, orders, net paid and active subscriptions of each of `user_ids`, in order."""
    if not user_ids:
        return []
    ids = list(user_ids)
    contacts = {
        c.user_id: c
        for c in session.scalars(select(ShopperContact).where(ShopperContact.user_id.in_(ids)))
    }
    paid_total = func.coalesce(func.sum(Order.total).filter(Order.paid_at.is_not(None)), 0)
    orders = {
        user_id: (count, paid)
        for user_id, count, paid in session.execute(
            select(Order.user_id, func.count(), paid_total)
            .where(Order.user_id.in_(ids))
            .group_by(Order.user_id)
        )
    }
    refunded = _by_user(
        session,
        select(AddOnPurchase.user_id, func.sum(AddOnPurchase.refund_amount))
        .where(AddOnPurchase.user_id.in_(ids), AddOnPurchase.refund_amount.is_not(None))
        .group_by(AddOnPurchase.user_id),
    )
    active = _by_user(session, _active_counts(ids, now or datetime.now(UTC)))
    return [
        CustomerSummary(
            user_id=user_id,
            contact=contacts.get(user_id),
            orders=orders.get(user_id, (0, ZERO))[0],
            paid=orders.get(user_id, (0, ZERO))[1] - refunded.get(user_id, ZERO),
            active_subscriptions=active.get(user_id, 0),
        )
        for user_id in ids
    ]


def _by_user(session: Session, query: Select[tuple[str, T]]) -> dict[str, T]:
    return {user_id: value for user_id, value in session.execute(query)}


def _active_counts(ids: list[str], now: datetime) -> Select[tuple[str, int]]:
    return (
        select(UserAddOn.user_id, func.count())
        .where(
            UserAddOn.user_id.in_(ids),
            UserAddOn.status == SubscriptionStatus.ACTIVE.value,
            or_(UserAddOn.expires_at.is_(None), UserAddOn.expires_at > now),
        )
        .group_by(UserAddOn.user_id)
    )


@dataclass(frozen=True)
class CustomerDetail:
    summary: CustomerSummary
    orders: list[Order]  # the newest ORDERS_SHOWN
    subscriptions: list[UserAddOn]
    history: list[AdminAuditEntry]


def customer_detail(session: Session, user_id: str) -> CustomerDetail | None:
    """One customer's page, or None when the marketplace knows nothing of `user_id`."""
    (summary,) = summaries(session, [user_id])
    subscriptions = list(
        session.scalars(
            select(UserAddOn)
            .where(UserAddOn.user_id == user_id)
            .options(selectinload(UserAddOn.add_on))
            .order_by(UserAddOn.created_at.desc(), UserAddOn.id)
        )
    )
    if summary.contact is None and not summary.orders and not subscriptions:
        return None
    orders = session.scalars(
        select(Order)
        .where(Order.user_id == user_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(ORDERS_SHOWN)
    )
    return CustomerDetail(
        summary=summary,
        orders=list(orders),
        subscriptions=subscriptions,
        history=history(session, OBJECT_TYPE, user_id),
    )
