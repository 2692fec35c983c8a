"""The exports' queries: purchases (with order numbers), subscriptions, customers and promo
redemptions, each narrowed by the filters of the list it belongs to. Unordered: a sort of a
million rows would hold back the first byte; a spreadsheet sorts in a click."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, String, cast, func, literal, select
from sqlalchemy.orm import aliased

from marketplace.admin.exports.csv_copy import labelled, text_cell, utc_cell, yes_no_cell
from marketplace.admin.keyset import within_days
from marketplace.models import (
    AddOn,
    AddOnPurchase,
    Order,
    PromotionalCode,
    ShopperContact,
    UserAddOn,
)
from marketplace.models.orders import PurchaseDiscount
from marketplace.vocabulary import DiscountKind, PurchaseStatus, SubscriptionStatus

# A customer's purchases are the ones paid for (refunded later or not), not open checkouts.
PAID = (PurchaseStatus.COMPLETED.value, PurchaseStatus.REFUNDED.value)
ZERO = literal(Decimal("0.00"))


@dataclass(frozen=True)
class ExportFilters:
    """What an export holds; None is "any". Each export reads the filters its list has."""

    status: str | None = None
    add_on: str | None = None  # an add-on's id or slug
    user: str | None = None
    code: str | None = None  # a promo code, any case
    since: date | None = None  # from this UTC day, inclusive
    until: date | None = None  # to this UTC day, inclusive


def purchases(filters: ExportFilters) -> Select[Any]:
    """Every purchase line: its order's number, add-on, amounts, promo code, refund."""
    p, a, o, c = AddOnPurchase, AddOn, Order, PromotionalCode
    cells = (
        ("Purchase id", cast(p.id, String)),
        ("Order number", o.number),
        ("Purchased at (UTC)", utc_cell(p.purchased_at)),
        ("Completed at (UTC)", utc_cell(p.completed_at)),
        ("User id", text_cell(p.user_id)),
        ("Add-on", text_cell(a.name)),
        ("Add-on slug", a.slug),
        ("Billing", func.coalesce(p.billing_type, a.billing_type)),
        ("Quantity", p.quantity),
        ("Amount", p.amount),
        ("Discount", p.discount_amount),
        ("Currency", p.currency),
        ("Status", p.status),
        ("Promo code", text_cell(c.code)),
        ("Refunded", p.refund_amount),
        ("Refunded at (UTC)", utc_cell(p.refunded_at)),
        ("Payment reference", text_cell(p.stripe_payment_id)),
    )
    query = (
        select(*labelled(cells))
        .select_from(p)
        .join(a, a.id == p.add_on_id)
        .outerjoin(o, o.id == p.order_id)
        .outerjoin(c, c.id == p.promo_code_id)
    )
    return _purchase_filters(query, filters)


def subscriptions(filters: ExportFilters) -> Select[Any]:
    """Every subscription: holder, add-on, status, dates, renewal, billing references."""
    u, a = UserAddOn, AddOn
    cells = (
        ("Subscription id", cast(u.id, String)),
        ("User id", text_cell(u.user_id)),
        ("Add-on", text_cell(a.name)),
        ("Add-on slug", a.slug),
        ("Status", u.status),
        ("Since (UTC)", utc_cell(u.purchased_at)),
        ("Expires at (UTC)", utc_cell(u.expires_at)),
        ("Renews", yes_no_cell(u.auto_renew)),
        ("Cancelled at (UTC)", utc_cell(u.cancelled_at)),
        ("Cancellation reason", text_cell(u.cancellation_reason)),
        ("Stripe subscription", text_cell(u.stripe_subscription_id)),
        ("Lago subscription", text_cell(u.lago_subscription_id)),
    )
    query = select(*labelled(cells)).select_from(u).join(a, a.id == u.add_on_id)
    if filters.status:
        query = query.where(u.status == filters.status)
    if filters.user:
        query = query.where(u.user_id == filters.user)
    return _add_on_filter(query, u.add_on_id, filters.add_on)


def customers(filters: ExportFilters) -> Select[Any]:
    """One row per user with paid purchases or subscriptions: e-mail, first and last purchase,
    totals (charged, refunded, net) and subscriptions. With a date range, the users who bought
    in it, their purchase figures over that range."""
    p, u, c = AddOnPurchase, UserAddOn, ShopperContact
    charged = func.coalesce(func.sum(p.amount), ZERO)
    refunded = func.coalesce(func.sum(p.refund_amount), ZERO)
    bought = select(
        p.user_id,
        func.min(p.purchased_at).label("first"),
        func.max(p.purchased_at).label("last"),
        func.count().label("purchases"),
        charged.label("charged"),
        refunded.label("refunded"),
    ).where(p.status.in_(PAID))
    bought = within_days(bought, p.purchased_at, filters.since, filters.until)
    held = select(
        u.user_id,
        func.count().filter(u.status == SubscriptionStatus.ACTIVE.value).label("active"),
        func.count().label("subscriptions"),
    )
    if filters.user:
        bought, held = (
            bought.where(p.user_id == filters.user),
            held.where(u.user_id == filters.user),
        )
    b = bought.group_by(p.user_id).subquery("bought")
    h = held.group_by(u.user_id).subquery("held")
    user_id = func.coalesce(b.c.user_id, h.c.user_id)
    cells = (
        ("User id", text_cell(user_id)),
        ("E-mail", text_cell(c.email)),
        ("First purchase (UTC)", utc_cell(b.c.first)),
        ("Last purchase (UTC)", utc_cell(b.c.last)),
        ("Purchases", func.coalesce(b.c.purchases, 0)),
        ("Charged", func.coalesce(b.c.charged, ZERO)),
        ("Refunded", func.coalesce(b.c.refunded, ZERO)),
        ("Net", func.coalesce(b.c.charged - b.c.refunded, ZERO)),
        ("Active subscriptions", func.coalesce(h.c.active, 0)),
        ("Subscriptions", func.coalesce(h.c.subscriptions, 0)),
    )
    dated = filters.since is not None or filters.until is not None
    joined = b.join(h, h.c.user_id == b.c.user_id, isouter=True, full=not dated)
    # The address the user last signed in with (none for a user who never signed in here).
    joined = joined.outerjoin(c, c.user_id == user_id)
    return select(*labelled(cells)).select_from(joined)


def promo_redemptions(filters: ExportFilters) -> Select[Any]:
    """Every purchase line a promo code discounted: code, user, order, add-on, discount."""
    p, a, o, c = AddOnPurchase, AddOn, Order, PromotionalCode
    d = aliased(PurchaseDiscount)
    promo_discount = (
        select(func.sum(d.amount))
        .where(d.purchase_id == p.id, d.kind == DiscountKind.PROMO.value)
        .scalar_subquery()
    )  # idx_purchase_discounts_purchase
    cells = (
        ("Code", text_cell(c.code)),
        ("User id", text_cell(p.user_id)),
        ("Order number", o.number),
        ("Add-on", text_cell(a.name)),
        ("Purchased at (UTC)", utc_cell(p.purchased_at)),
        ("Status", p.status),
        ("Amount", p.amount),
        ("Promo discount", promo_discount),
        ("Total discount", p.discount_amount),
        ("Currency", p.currency),
    )
    query = (
        select(*labelled(cells))
        .select_from(p)
        .join(c, c.id == p.promo_code_id)  # idx_add_on_purchases_promo_code
        .join(a, a.id == p.add_on_id)
        .outerjoin(o, o.id == p.order_id)
    )
    if filters.code:
        query = query.where(func.upper(c.code) == filters.code.upper())
    return _purchase_filters(query, filters)


def _purchase_filters(query: Select[Any], filters: ExportFilters) -> Select[Any]:
    p = AddOnPurchase
    if filters.status:
        query = query.where(p.status == filters.status)
    if filters.user:
        query = query.where(p.user_id == filters.user)
    query = within_days(query, p.purchased_at, filters.since, filters.until)
    return _add_on_filter(query, p.add_on_id, filters.add_on)


def _add_on_filter(query: Select[Any], column: Any, add_on: str | None) -> Select[Any]:
    """Rows of the add-on `add_on` names by id or by slug."""
    if not add_on:
        return query
    try:
        return query.where(column == uuid.UUID(add_on))
    except ValueError:
        return query.where(column == select(AddOn.id).where(AddOn.slug == add_on).scalar_subquery())
