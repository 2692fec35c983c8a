"""The admin area's sales over the API (admin role; support reads): orders and their refunds,
customers and the audit log — through the admin pages' own queries and refund service."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from flask import current_app
from marshmallow import ValidationError, fields, validate

from marketplace.admin.audit import queries as audit_queries
from marketplace.admin.changes import Refused
from marketplace.admin.customers import queries as customer_queries
from marketplace.admin.keyset import Cursor, parse_time
from marketplace.admin.orders import queries as order_queries
from marketplace.admin.orders import refunds
from marketplace.admin.orders.forms import MAX_REASON
from marketplace.api.account import OrderSchema, order_body, subscription_body
from marketplace.api.account import SubscriptionSchema as CustomerSubscriptionSchema
from marketplace.api.admin_common import (
    actor,
    admin_blueprint,
    amount,
    keyset_args,
    page_body,
    refused,
    sent_after,
)
from marketplace.api.idempotent import HEADER_DOC, idempotent
from marketplace.api.operations import documented
from marketplace.api.problems import or_404, refuse
from marketplace.api.schemas import MoneySchema, PageArgs, PageSchema, Strict, Timestamp, money
from marketplace.extensions import db
from marketplace.models import AdminAuditEntry, Order, Refund
from marketplace.vocabulary import OrderStatus

MAX_USER_ID = 255

orders_blp = admin_blueprint("orders", "Orders and refunds.")
customers_blp = admin_blueprint("customers", "Customers (read).")
audit_blp = admin_blueprint("audit", "The audit log of every admin change.")


class OrderListArgs(PageArgs):
    status = fields.String(
        load_default=None, validate=validate.OneOf([s.value for s in OrderStatus])
    )
    add_on = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "Slug"},
    )
    user_id = fields.String(load_default=None, validate=validate.Length(min=1, max=MAX_USER_ID))
    code = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "An order number, or a promo code used in it"},
    )
    since = fields.Date(load_default=None, metadata={"description": "Created on or after (UTC)"})
    until = fields.Date(load_default=None, metadata={"description": "Created on or before (UTC)"})


class RefundLineSchema(Strict):
    line_id = fields.UUID(required=True)
    amount = fields.Nested(MoneySchema, required=True)


class RefundSchema(Strict):
    id = fields.UUID(required=True)
    order_id = fields.UUID(required=True)
    amount = fields.Nested(MoneySchema, required=True)
    reason = fields.String(required=True)
    provider_refund_id = fields.String(required=True)
    actor = fields.String(required=True)
    created_at = Timestamp(required=True)
    lines = fields.List(fields.Nested(RefundLineSchema), required=True)


class AdminOrderSchema(OrderSchema):
    user_id = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    refunds = fields.List(fields.Nested(RefundSchema), required=True)
    refund_state = fields.String(
        required=True,
        metadata={"description": "Send it with a refund: a refund made since is a 409"},
    )


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Say why: the shopper's e-mail and receipt show it.")


class RefundArgs(Strict):
    line_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "One line of the order; null: the whole order, spread"},
    )
    amount = amount(
        Decimal("0.01"),
        load_default=None,
        allow_none=True,
        metadata={"description": "null: everything left"},
    )
    reason = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=MAX_REASON), _not_blank],
        metadata={"description": "The shopper reads it"},
    )
    cancel_subscriptions = fields.Boolean(
        load_default=False, metadata={"description": "Also cancel what the lines bought"}
    )
    refund_state = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "The order's `refund_state` as last read"},
    )


def refund_body(refund: Refund, currency: str) -> dict[str, Any]:
    return {
        "id": refund.id,
        "order_id": refund.order_id,
        "amount": money(refund.amount, currency),
        "reason": refund.reason,
        "provider_refund_id": refund.provider_refund_id,
        "actor": refund.actor,
        "created_at": refund.created_at,
        "lines": [
            {"line_id": line.purchase_id, "amount": money(line.amount, currency)}
            for line in refund.lines
        ],
    }


class AdminOrderRowSchema(OrderSchema):
    user_id = fields.String(required=True)


class AdminOrderPageSchema(PageSchema):
    items = fields.List(fields.Nested(AdminOrderRowSchema), required=True)


@orders_blp.get("/admin/orders")
@orders_blp.arguments(OrderListArgs, location="query")
@orders_blp.response(200, AdminOrderPageSchema)
@documented(orders_blp, security="staff", errors=(422,))
def list_orders(args: dict[str, Any]):
    """Every order, newest first, filtered."""
    filters = order_queries.OrderFilters(
        status=args["status"],
        add_on=args["add_on"],
        user_id=args["user_id"],
        code=args["code"],
        since=args["since"],
        until=args["until"],
    )
    after = keyset_args(args, order_queries.OrderCursor.parse)
    page = order_queries.order_list(db.session(), filters, after, size=args["limit"])
    rows = [{**order_body(row.order), "user_id": row.order.user_id} for row in page.orders]
    return page_body(rows, page.next_cursor)


@orders_blp.get("/admin/orders/<uuid:order_id>")
@orders_blp.response(200, AdminOrderSchema)
@documented(orders_blp, security="staff", errors=(404,))
def get_order(order_id: uuid.UUID):
    """One order with its lines and the buyer."""
    detail = or_404(
        order_queries.order_detail(db.session(), order_id), "There is no order with this id."
    )
    currency = detail.order.currency
    body = {
        **order_body(detail.order),
        "user_id": detail.order.user_id,
        "email": detail.contact.email if detail.contact else None,
        "refunds": [refund_body(refund, currency) for refund in detail.refunds],
        "refund_state": refunds.refund_state(detail.order.lines),
    }
    return body, 200, {"Cache-Control": "no-store"}


@orders_blp.post("/admin/orders/<uuid:order_id>/refunds")
@idempotent("admin.refund")
@orders_blp.arguments(RefundArgs)
@orders_blp.response(201, RefundSchema)
@orders_blp.alt_response(
    200, schema=RefundSchema, description="This very refund had been made already: nothing more"
)
@orders_blp.doc(parameters=[HEADER_DOC])
@documented(orders_blp, security="staff", errors=(404, 409, 415, 422, 502))
def refund_order(args: dict[str, Any], order_id: uuid.UUID):
    """Refund an order, or one line of it, in full or an amount, through the payment provider
    (audited; the shopper is told). `Idempotency-Key` required; `refund_state` as last read
    (a refund made since is a 409); more than is left is a 422 on `amount`."""
    asked = refunds.RefundRequest(
        line_id=args["line_id"],
        amount=args["amount"],
        reason=args["reason"].strip(),
        cancel_subscriptions=args["cancel_subscriptions"],
        state=args["refund_state"],
    )
    session = db.session()
    try:
        made = refunds.refund_order(
            session, refunds.provider(current_app.config), actor(), order_id, asked
        )
    except refunds.ProviderFailed as error:
        refuse(502, error.message)
    except Refused as error:
        refused(error, conflict=409, fields_as={"line": "line_id"})
    order = session.get(Order, order_id)
    assert order is not None  # the refund was made on it
    body = refund_body(made.refund, order.currency)
    return sent_after(RefundSchema, body, made.outbox_ids, 201 if made.new else 200)


class CustomerListArgs(PageArgs):
    q = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_USER_ID),
        metadata={"description": "A user id, or the start of an e-mail address"},
    )


class CustomerSchema(Strict):
    user_id = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)
    orders = fields.Integer(required=True)
    paid = fields.Nested(MoneySchema, required=True, metadata={"description": "Net of refunds"})
    active_subscriptions = fields.Integer(required=True)


class CustomerPageSchema(PageSchema):
    items = fields.List(fields.Nested(CustomerSchema), required=True)


class CustomerDetailSchema(CustomerSchema):
    recent_orders = fields.List(fields.Nested(OrderSchema), required=True)
    subscriptions = fields.List(fields.Nested(CustomerSubscriptionSchema), required=True)


def customer_body(summary: customer_queries.CustomerSummary) -> dict[str, Any]:
    contact = summary.contact
    return {
        "user_id": summary.user_id,
        "email": contact.email if contact else None,
        "name": contact.name if contact else None,
        "orders": summary.orders,
        "paid": money(summary.paid),
        "active_subscriptions": summary.active_subscriptions,
    }


@customers_blp.get("/admin/customers")
@customers_blp.arguments(CustomerListArgs, location="query")
@customers_blp.response(200, CustomerPageSchema)
@documented(customers_blp, security="staff", errors=(422,))
def list_customers(args: dict[str, Any]):
    """Customers by user id, or found by user id or e-mail prefix (`q`)."""
    after = keyset_args(args, _customer_cursor)
    page = customer_queries.customer_list(
        db.session(), args["q"].strip(), after, size=args["limit"]
    )
    return page_body([customer_body(c) for c in page.customers], page.next_cursor)


def _customer_cursor(token: str) -> str:
    if not 0 < len(token) <= MAX_USER_ID:
        raise ValueError("not a user id")
    return token


@customers_blp.get("/admin/customers/<user_id>")
@customers_blp.response(200, CustomerDetailSchema)
@documented(customers_blp, security="staff", errors=(404,))
def get_customer(user_id: str):
    """One customer: totals, recent orders and every subscription."""
    detail = or_404(
        customer_queries.customer_detail(db.session(), user_id)
        if len(user_id) <= MAX_USER_ID
        else None,
        "The marketplace knows no customer with this user id.",
    )
    body = {
        **customer_body(detail.summary),
        "recent_orders": [order_body(order) for order in detail.orders],
        "subscriptions": [subscription_body(s) for s in detail.subscriptions],
    }
    return body, 200, {"Cache-Control": "no-store"}


class AuditListArgs(PageArgs):
    actor = fields.String(load_default=None, validate=validate.Length(min=1, max=255))
    action = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    object_type = fields.String(load_default=None, validate=validate.Length(min=1, max=50))
    object_id = fields.String(load_default=None, validate=validate.Length(min=1, max=255))
    since = fields.Date(load_default=None)
    until = fields.Date(load_default=None)


class AuditEntrySchema(Strict):
    id = fields.Integer(required=True)
    actor = fields.String(required=True)
    actor_role = fields.String(required=True)
    action = fields.String(required=True)
    object_type = fields.String(required=True)
    object_id = fields.String(required=True)
    before = fields.Dict(required=True, allow_none=True)
    after = fields.Dict(required=True, allow_none=True)
    request_id = fields.String(required=True, allow_none=True)
    created_at = Timestamp(required=True)


class AuditPageSchema(PageSchema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)


def audit_body(entry: AdminAuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "actor": entry.actor,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "request_id": entry.request_id,
        "created_at": entry.created_at,
    }


@audit_blp.get("/admin/audit-log")
@audit_blp.arguments(AuditListArgs, location="query")
@audit_blp.response(200, AuditPageSchema)
@documented(audit_blp, security="staff", errors=(422,))
def list_audit_log(args: dict[str, Any]):
    """Every admin change, newest first, filtered."""
    filters = audit_queries.AuditFilters(
        actor=args["actor"],
        action=args["action"],
        object_type=args["object_type"],
        object_id=args["object_id"],
        since=args["since"],
        until=args["until"],
    )
    after = keyset_args(args, lambda token: Cursor.parse(token, parse_time, int))
    page = audit_queries.audit_page(db.session(), filters, after, size=args["limit"])
    return page_body([audit_body(entry) for entry in page.rows], page.next_cursor)
