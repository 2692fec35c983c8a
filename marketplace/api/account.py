"""A shopper's own orders (with receipt PDFs), subscriptions and entitlements, with the user's
token: the account pages' queries and services (marketplace/orders, marketplace/account)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import current_app, make_response
from marshmallow import fields, validate
from sqlalchemy import select

from marketplace.account import queries as account_queries
from marketplace.account import service as account
from marketplace.admin.keyset import Cursor, keyset_page, parse_time
from marketplace.after_response import deliver_after_response
from marketplace.api import access, paging
from marketplace.api.operations import blueprint, documented
from marketplace.api.problems import or_404, refuse
from marketplace.api.schemas import MoneySchema, PageArgs, PageSchema, Strict, Timestamp, money
from marketplace.api.services import EntitlementsSchema, entitlements_answer
from marketplace.extensions import db
from marketplace.models import AddOnPurchase, Order, UserAddOn
from marketplace.orders import queries as orders
from marketplace.orders.receipt_view import Seller, receipt_view
from marketplace.orders.receipts import receipt_pdf

MAX_REASON = 500

blp = blueprint(
    "Account",
    "The caller's own orders, subscriptions and entitlements (a user's token).",
    access.require_user,
)


class OrderLineSchema(Strict):
    id = fields.UUID(required=True)
    add_on_id = fields.UUID(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
    quantity = fields.Integer(required=True)
    amount = fields.Nested(MoneySchema, required=True, metadata={"description": "Charged"})
    discount = fields.Nested(MoneySchema, required=True)
    refunded = fields.Nested(MoneySchema, required=True, allow_none=True)


class OrderSchema(Strict):
    id = fields.UUID(required=True)
    number = fields.String(required=True, allow_none=True, metadata={"example": "2026-000042"})
    status = fields.String(required=True)
    subtotal = fields.Nested(MoneySchema, required=True)
    tax = fields.Nested(MoneySchema, required=True, allow_none=True)
    total = fields.Nested(MoneySchema, required=True)
    created_at = Timestamp(required=True)
    paid_at = Timestamp(required=True, allow_none=True)
    lines = fields.List(fields.Nested(OrderLineSchema), required=True)


class OrderPageSchema(PageSchema):
    items = fields.List(fields.Nested(OrderSchema), required=True)


class SubscriptionSchema(Strict):
    id = fields.UUID(required=True)
    add_on_id = fields.UUID(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
    auto_renew = fields.Boolean(required=True)
    purchased_at = Timestamp(required=True)
    expires_at = Timestamp(required=True, allow_none=True, metadata={"description": "null: life"})
    cancelled_at = Timestamp(required=True, allow_none=True)


class SubscriptionListSchema(PageSchema):
    items = fields.List(fields.Nested(SubscriptionSchema), required=True)


class CancelArgs(Strict):
    reason = fields.String(load_default=None, validate=validate.Length(max=MAX_REASON))


class AutoRenewArgs(Strict):
    auto_renew = fields.Boolean(required=True)


def _user_id() -> str:
    return access.require_user().subject


def order_body(order: Order) -> dict[str, Any]:
    currency = order.currency
    return {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "subtotal": money(order.subtotal, currency),
        "tax": None if order.tax is None else money(order.tax, currency),
        "total": money(order.total, currency),
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "lines": [_line_body(line, currency) for line in order.lines],
    }


def _line_body(line: AddOnPurchase, currency: str) -> dict[str, Any]:
    return {
        "id": line.id,
        "add_on_id": line.add_on_id,
        "name": line.add_on.name,
        "status": line.status,
        "quantity": line.quantity,
        "amount": money(line.amount, currency),
        "discount": money(line.discount_amount, currency),
        "refunded": None if line.refund_amount is None else money(line.refund_amount, currency),
    }


def subscription_body(subscription: UserAddOn) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "add_on_id": subscription.add_on_id,
        "slug": subscription.add_on.slug,
        "name": subscription.add_on.name,
        "status": subscription.status,
        "auto_renew": subscription.auto_renew,
        "purchased_at": subscription.purchased_at,
        "expires_at": subscription.expires_at,
        "cancelled_at": subscription.cancelled_at,
    }


def _order_cursor(token: str) -> Cursor:
    return Cursor.parse(token, parse_time)


@blp.get("/me/orders")
@blp.arguments(PageArgs, location="query")
@blp.response(200, OrderPageSchema)
@documented(blp, security="user", errors=(422,))
def list_orders(args: dict[str, Any]):
    """The caller's orders, newest first, with their lines."""
    after = paging.decode(args["cursor"], _order_cursor) if args["cursor"] else None
    query = orders.with_lines(select(Order).where(Order.user_id == _user_id()))
    page = keyset_page(
        db.session(), query, Order.created_at, Order.id, after, descending=True, size=args["limit"]
    )
    return (
        {
            "items": [order_body(order) for order in page.rows],
            "next_cursor": paging.encode(page.next_cursor.token()) if page.next_cursor else None,
        },
        200,
        {"Cache-Control": "no-store"},
    )


def _own_order(order_id: uuid.UUID) -> Order:
    found = (
        db.session()
        .scalars(
            orders.with_lines(
                select(Order).where(Order.id == order_id, Order.user_id == _user_id())
            )
        )
        .one_or_none()
    )
    return or_404(found, "You have no order with this id.")


@blp.get("/me/orders/<uuid:order_id>")
@blp.response(200, OrderSchema)
@documented(blp, security="user", errors=(404,))
def get_order(order_id: uuid.UUID):
    """One of the caller's orders (someone else's is a 404, as if it did not exist)."""
    return order_body(_own_order(order_id)), 200, {"Cache-Control": "no-store"}


@blp.get("/me/orders/<uuid:order_id>/receipt.pdf")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf")
@documented(blp, security="user", errors=(404,))
def get_receipt(order_id: uuid.UUID):
    """The receipt of one of the caller's paid orders, as a PDF."""
    found = or_404(
        orders.receipt(db.session(), _user_id(), order_id),
        "You have no paid order with this id, so there is no receipt.",
    )
    view = receipt_view(found, Seller.from_config(current_app.config))
    response = make_response(receipt_pdf(view))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{view.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.get("/me/subscriptions")
@blp.arguments(PageArgs, location="query")
@blp.response(200, SubscriptionListSchema)
@documented(blp, security="user", errors=(422,))
def list_subscriptions(args: dict[str, Any]):
    """The caller's active, unexpired subscriptions, by add-on name."""
    start = paging.decode(args["cursor"], paging.offset) if args["cursor"] else 0
    active = account_queries.active_add_ons(db.session(), _user_id(), datetime.now(UTC))
    end = start + args["limit"]
    return (
        {
            "items": [subscription_body(s) for s in active[start:end]],
            "next_cursor": paging.encode(str(end)) if end < len(active) else None,
        },
        200,
        {"Cache-Control": "no-store"},
    )


def _changed(change: account.Change):
    response = make_response(subscription_body(change.subscription))
    response.headers["Cache-Control"] = "no-store"
    return deliver_after_response(response, change.outbox_ids)


@blp.post("/me/subscriptions/<uuid:subscription_id>/cancel")
@blp.arguments(CancelArgs)
@blp.response(200, SubscriptionSchema)
@documented(blp, security="user", errors=(404, 409, 415, 422))
def cancel_subscription(args: dict[str, Any], subscription_id: uuid.UUID):
    """Cancel one of the caller's subscriptions: access ends now, nothing is refunded."""
    try:
        change = account.cancel(db.session(), _user_id(), subscription_id, args["reason"])
    except account.SubscriptionError as error:
        refuse(error.status, error.message)
    return _changed(change)


@blp.put("/me/subscriptions/<uuid:subscription_id>/auto-renew")
@blp.arguments(AutoRenewArgs)
@blp.response(200, SubscriptionSchema)
@documented(blp, security="user", errors=(404, 409, 415, 422))
def set_auto_renew(args: dict[str, Any], subscription_id: uuid.UUID):
    """Switch renewal of one of the caller's subscriptions on or off."""
    try:
        change = account.set_auto_renew(
            db.session(), _user_id(), subscription_id, args["auto_renew"]
        )
    except account.SubscriptionError as error:
        refuse(error.status, error.message)
    return _changed(change)


@blp.get("/me/features")
@blp.response(200, EntitlementsSchema)
@documented(blp, security="user", errors=(304,))
def my_entitlements():
    """The caller's enabled features and their configuration (ETag: 304 while unchanged)."""
    user_id = _user_id()
    return entitlements_answer(user_id)
