"""Read subscriptions for the admin area: the searchable, keyset-paged list and one subscription's
page (its holder's contact, the purchases of its add-on, its history)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, literal, select, union
from sqlalchemy.orm import Session, joinedload

from marketplace.admin.audit.queries import history
from marketplace.admin.keyset import PAGE_SIZE, Cursor, Page, keyset_page
from marketplace.models import AddOnPurchase, AdminAuditEntry, ShopperContact, UserAddOn
from marketplace.orders.queries import escape_like

OBJECT_TYPE = "subscription"  # the audit log's object type of a subscription (user_add_ons row)
PURCHASES_SHOWN = 20


@dataclass(frozen=True)
class SubscriptionFilters:
    """What the subscription list shows; None is "any"."""

    holder: str | None = None  # a whole user id, or the beginning of an e-mail address
    add_on_id: uuid.UUID | None = None
    status: str | None = None


def subscription_list(
    session: Session,
    filters: SubscriptionFilters,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> Page[UserAddOn]:
    """The newest subscriptions matching `filters`, older than `after`, with their add-ons.

    Served by idx_user_add_ons_created (no filter), idx_user_add_ons_status_created (status),
    idx_user_add_ons_add_on_created (add-on) — each read backwards from the page's start — and
    for a holder the (user_id, add_on_id) unique index under the user ids it names."""
    query = select(UserAddOn).options(joinedload(UserAddOn.add_on)).where(*_conditions(filters))
    return keyset_page(
        session, query, UserAddOn.created_at, UserAddOn.id, after, descending=True, size=size
    )


def _conditions(filters: SubscriptionFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.holder:
        conditions.append(UserAddOn.user_id.in_(_holders(filters.holder)))
    if filters.add_on_id:
        conditions.append(UserAddOn.add_on_id == filters.add_on_id)
    if filters.status:
        conditions.append(UserAddOn.status == filters.status)
    return conditions


def _holders(text: str):
    """The user ids `text` names: itself, and every user whose e-mail starts with it (any case,
    through idx_shopper_contacts_email_prefix)."""
    by_email = select(ShopperContact.user_id).where(
        func.lower(ShopperContact.email).like(escape_like(text.lower()) + "%")
    )
    return union(select(literal(text).label("user_id")), by_email)


@dataclass(frozen=True)
class SubscriptionDetail:
    subscription: UserAddOn
    contact: ShopperContact | None
    purchases: list[AddOnPurchase]  # the holder's purchases of this add-on, newest first
    history: list[AdminAuditEntry]


def subscription(session: Session, subscription_id: uuid.UUID) -> UserAddOn | None:
    return session.get(UserAddOn, subscription_id, options=[joinedload(UserAddOn.add_on)])


def subscription_detail(session: Session, subscription_id: uuid.UUID) -> SubscriptionDetail | None:
    """One subscription's page, or None when there is no such subscription."""
    found = subscription(session, subscription_id)
    if found is None:
        return None
    purchases = session.scalars(
        select(AddOnPurchase)
        .where(AddOnPurchase.user_id == found.user_id, AddOnPurchase.add_on_id == found.add_on_id)
        .options(joinedload(AddOnPurchase.order))
        .order_by(AddOnPurchase.purchased_at.desc(), AddOnPurchase.id.desc())
        .limit(PURCHASES_SHOWN)
    )  # idx_add_on_purchases_user_date
    return SubscriptionDetail(
        subscription=found,
        contact=session.get(ShopperContact, found.user_id),
        purchases=list(purchases),
        history=history(session, OBJECT_TYPE, found.id),
    )
