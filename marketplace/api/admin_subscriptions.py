"""Shoppers' subscriptions in the admin area over the API: the searchable list, one
subscription, and its changes (extend, suspend, reactivate, cancel) and the complimentary grant
— through the subscription admin's service, so Stripe, Lago, the letters and the events follow
and every change is audited exactly as on its pages."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError, fields, validate

from marketplace.admin.changes import Refused
from marketplace.admin.keyset import Cursor, parse_time
from marketplace.admin.subscriptions import queries as subscription_queries
from marketplace.admin.subscriptions import service as subscriptions
from marketplace.admin.subscriptions.forms import MAX_REASON
from marketplace.api.account import SubscriptionSchema
from marketplace.api.admin_common import (
    IF_MATCH_DOC,
    actor,
    admin_blueprint,
    if_match,
    keyset_args,
    page_body,
    refused,
    sent_after,
    tagged,
)
from marketplace.api.operations import documented
from marketplace.api.problems import or_404
from marketplace.api.schemas import PageArgs, PageSchema, Strict, Timestamp, TimestampArg
from marketplace.extensions import db
from marketplace.models import UserAddOn
from marketplace.vocabulary import SubscriptionStatus

blp = admin_blueprint(
    "subscriptions",
    "Shoppers' subscriptions: search, extend, suspend, reactivate, cancel, grant free.",
)
CHANGE_ERRORS = (404, 409, 412, 415, 422, 428)


class SubscriptionListArgs(PageArgs):
    q = fields.String(
        load_default="",
        validate=validate.Length(max=255),
        metadata={"description": "A user id, or the beginning of an e-mail address"},
    )
    add_on_id = fields.UUID(load_default=None)
    status = fields.String(
        load_default=None, validate=validate.OneOf([s.value for s in SubscriptionStatus])
    )


class AdminSubscriptionSchema(SubscriptionSchema):
    """A subscription as its holder sees it, and whose it is."""

    user_id = fields.String(required=True)
    cancellation_reason = fields.String(required=True, allow_none=True)
    created_at = Timestamp(required=True)


class AdminSubscriptionPageSchema(PageSchema):
    items = fields.List(fields.Nested(AdminSubscriptionSchema), required=True)


def _reason_field(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(max=MAX_REASON), **kwargs)


class ChangeArgs(Strict):
    reason = _reason_field(
        load_default=None, allow_none=True, metadata={"description": "Kept in the audit log"}
    )


class ExtendArgs(ChangeArgs):
    expires_at = TimestampArg(required=True, metadata={"description": "The new, later end"})


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Say why (the audit log and the order keep it).")


class GrantArgs(Strict):
    user_id = fields.String(required=True, validate=[validate.Length(min=1, max=255), _not_blank])
    add_on_id = fields.UUID(required=True, metadata={"description": "An active add-on"})
    expires_at = TimestampArg(required=True, metadata={"description": "Free until then"})
    reason = fields.String(
        required=True, validate=[validate.Length(min=1, max=MAX_REASON), _not_blank]
    )


def subscription_body(subscription: UserAddOn) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "user_id": subscription.user_id,
        "add_on_id": subscription.add_on_id,
        "slug": subscription.add_on.slug,
        "name": subscription.add_on.name,
        "status": subscription.status,
        "auto_renew": subscription.auto_renew,
        "purchased_at": subscription.purchased_at,
        "expires_at": subscription.expires_at,
        "cancelled_at": subscription.cancelled_at,
        "cancellation_reason": subscription.cancellation_reason,
        "created_at": subscription.created_at,
    }


def _changed(done: subscriptions.Done | subscriptions.Grant, status: int = 200):
    response = sent_after(
        AdminSubscriptionSchema, subscription_body(done.subscription), done.outbox_ids, status
    )
    response.headers["ETag"] = f'"{subscriptions.edit_token(done.subscription)}"'
    return response


def _act(change: Callable[..., subscriptions.Done], subscription_id: uuid.UUID, *args: Any):
    """Make `change` with the If-Match token; a refusal as its problem (the subscription's
    state in the way: 409; a changed subscription: 412)."""
    token = if_match("subscription")
    try:
        done = change(db.session(), actor(), subscription_id, token, *args)
    except Refused as error:
        refused(error, state=409)
    return _changed(done)


@blp.get("/admin/subscriptions")
@blp.arguments(SubscriptionListArgs, location="query")
@blp.response(200, AdminSubscriptionPageSchema)
@documented(blp, security="staff", errors=(422,))
def list_subscriptions(args: dict[str, Any]):
    """Subscriptions, newest first: by holder (user id or e-mail prefix), add-on, status."""
    filters = subscription_queries.SubscriptionFilters(
        holder=args["q"].strip() or None, add_on_id=args["add_on_id"], status=args["status"]
    )
    after = keyset_args(args, lambda token: Cursor.parse(token, parse_time))
    page = subscription_queries.subscription_list(db.session(), filters, after, size=args["limit"])
    return page_body([subscription_body(s) for s in page.rows], page.next_cursor)


@blp.get("/admin/subscriptions/<uuid:subscription_id>")
@blp.response(200, AdminSubscriptionSchema)
@documented(blp, security="staff", errors=(404,))
def get_subscription(subscription_id: uuid.UUID):
    """One subscription; its ETag is what a change must send as If-Match."""
    found = or_404(
        subscription_queries.subscription(db.session(), subscription_id), subscriptions.MISSING
    )
    return tagged(subscription_body(found), subscriptions.edit_token(found))


@blp.post("/admin/subscriptions/<uuid:subscription_id>/extend")
@blp.arguments(ExtendArgs)
@blp.response(200, AdminSubscriptionSchema)
@blp.doc(parameters=[IF_MATCH_DOC])
@documented(blp, security="staff", errors=CHANGE_ERRORS)
def extend_subscription(args: dict[str, Any], subscription_id: uuid.UUID):
    """Move the end later (an expired one becomes active again); audited. One that renews
    through Stripe, or is cancelled, is a 409."""
    return _act(subscriptions.extend, subscription_id, args["expires_at"], args["reason"])


@blp.post("/admin/subscriptions/<uuid:subscription_id>/suspend")
@blp.arguments(ChangeArgs)
@blp.response(200, AdminSubscriptionSchema)
@blp.doc(parameters=[IF_MATCH_DOC])
@documented(blp, security="staff", errors=CHANGE_ERRORS)
def suspend_subscription(args: dict[str, Any], subscription_id: uuid.UUID):
    """Suspend an active subscription: features stop now, renewal off; audited."""
    return _act(subscriptions.suspend, subscription_id, args["reason"])


@blp.post("/admin/subscriptions/<uuid:subscription_id>/reactivate")
@blp.arguments(ChangeArgs)
@blp.response(200, AdminSubscriptionSchema)
@blp.doc(parameters=[IF_MATCH_DOC])
@documented(blp, security="staff", errors=CHANGE_ERRORS)
def reactivate_subscription(args: dict[str, Any], subscription_id: uuid.UUID):
    """Make a suspended subscription active again until its end; audited."""
    return _act(subscriptions.reactivate, subscription_id, args["reason"])


@blp.post("/admin/subscriptions/<uuid:subscription_id>/cancel")
@blp.arguments(ChangeArgs)
@blp.response(200, AdminSubscriptionSchema)
@blp.doc(parameters=[IF_MATCH_DOC])
@documented(blp, security="staff", errors=CHANGE_ERRORS)
def cancel_subscription(args: dict[str, Any], subscription_id: uuid.UUID):
    """Cancel as the shopper's cancel does (billing stops, the shopper is told); nothing is
    refunded (refund from the order); audited."""
    return _act(subscriptions.cancel, subscription_id, args["reason"])


@blp.post("/admin/subscriptions/grants")
@blp.arguments(GrantArgs)
@blp.response(201, AdminSubscriptionSchema)
@documented(blp, security="staff", errors=(409, 415, 422))
def grant_subscription(args: dict[str, Any]):
    """Give a user an add-on free until `expires_at` (a paid order of one zero-amount line
    naming the admin and the reason; audited). One the user holds already is a 422 on
    `add_on_id`: extend or reactivate it."""
    try:
        granted = subscriptions.grant(
            db.session(),
            actor(),
            args["user_id"].strip(),
            args["add_on_id"],
            args["expires_at"],
            args["reason"].strip(),
        )
    except Refused as error:
        refused(error, state=409)
    return _changed(granted, 201)
