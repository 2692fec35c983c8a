"""Webhook endpoints over the API: list, create (the secret shown once), edit (deactivate by
saving `is_active: false`, as the form does), rotate the secret (the new one shown once),
delete, the delivery log and "resend" — through the webhook admin's service, so the URL rules
(no private addresses in production) and the audit rows are the pages' own."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from marshmallow import fields, validate

from marketplace.admin.changes import Refused
from marketplace.admin.keyset import Cursor, parse_time
from marketplace.admin.webhooks import queries as endpoint_queries
from marketplace.admin.webhooks import service as endpoints
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
from marketplace.api.schemas import PageArgs, PageSchema, Strict, Timestamp
from marketplace.events.addresses import private_allowed
from marketplace.events.emit import EVENT_TYPES
from marketplace.extensions import db
from marketplace.models import WebhookDelivery, WebhookEndpoint

blp = admin_blueprint(
    "webhooks",
    "Webhook endpoints: create, edit, rotate the secret, delete, delivery log, resend an event.",
)


class EndpointSchema(Strict):
    id = fields.UUID(required=True)
    url = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    event_types = fields.List(fields.String(), required=True)
    is_active = fields.Boolean(required=True)
    created_at = Timestamp(required=True)
    updated_at = Timestamp(required=True)


class NewEndpointSchema(EndpointSchema):
    secret = fields.String(
        required=True,
        metadata={"description": "The signing secret, shown this once: keep it"},
    )


class EndpointPageSchema(PageSchema):
    items = fields.List(fields.Nested(EndpointSchema), required=True)


class EndpointArgs(Strict):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=endpoints.MAX_URL),
        metadata={"example": "https://platform.example.com/hooks/marketplace"},
    )
    description = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=200)
    )
    event_types = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)),
        load_default=lambda: list(EVENT_TYPES),
        validate=validate.Length(min=1, max=len(EVENT_TYPES)),
    )
    is_active = fields.Boolean(load_default=True)


class DeliverySchema(Strict):
    id = fields.Integer(required=True)
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    attempted_at = Timestamp(required=True)
    delivered = fields.Boolean(required=True)
    response_code = fields.Integer(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    duration_ms = fields.Integer(required=True)


class DeliveryPageSchema(PageSchema):
    items = fields.List(fields.Nested(DeliverySchema), required=True)


class SecretSchema(Strict):
    secret = fields.String(
        required=True,
        metadata={"description": "The new signing secret, shown this once: keep it"},
    )


class ResentSchema(Strict):
    outbox_entry_id = fields.UUID(required=True)


def endpoint_body(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "is_active": endpoint.is_active,
        "created_at": endpoint.created_at,
        "updated_at": endpoint.updated_at,
    }


def delivery_body(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "event_type": delivery.event.type,
        "attempted_at": delivery.attempted_at,
        "delivered": delivery.delivered,
        "response_code": delivery.response_code,
        "error": delivery.error,
        "duration_ms": delivery.duration_ms,
    }


def _data(args: dict[str, Any]) -> endpoints.EndpointData:
    return endpoints.EndpointData(
        url=args["url"].strip(),
        event_types=tuple(dict.fromkeys(args["event_types"])),
        description=(args["description"] or "").strip() or None,
        is_active=args["is_active"],
    )


def _endpoint(endpoint_id: uuid.UUID) -> WebhookEndpoint:
    return or_404(endpoint_queries.endpoint(db.session(), endpoint_id), endpoints.GONE)


@blp.get("/admin/webhook-endpoints")
@blp.arguments(PageArgs, location="query")
@blp.response(200, EndpointPageSchema)
@documented(blp, security="staff", errors=(422,))
def list_endpoints(args: dict[str, Any]):
    """Every endpoint, oldest first (never its secret)."""
    after = keyset_args(args, lambda token: Cursor.parse(token, parse_time))
    page = endpoint_queries.endpoint_page(db.session(), after, size=args["limit"])
    return page_body([endpoint_body(e) for e in page.rows], page.next_cursor)


@blp.get("/admin/webhook-endpoints/<uuid:endpoint_id>")
@blp.response(200, EndpointSchema)
@documented(blp, security="staff", errors=(404,))
def get_endpoint(endpoint_id: uuid.UUID):
    """One endpoint; its ETag is what an edit must send as If-Match."""
    found = _endpoint(endpoint_id)
    return tagged(endpoint_body(found), endpoints.edit_token(found))


@blp.post("/admin/webhook-endpoints")
@blp.arguments(EndpointArgs)
@blp.response(201, NewEndpointSchema)
@documented(blp, security="staff", errors=(415, 422))
def create_endpoint(args: dict[str, Any]):
    """Add an endpoint (audited) with a new signing secret, answered this once. A URL at a
    private, loopback or link-local address is a 422 on `url` in production."""
    try:
        made = endpoints.create_endpoint(
            db.session(), actor(), _data(args), private_ok=private_allowed(current_app.config)
        )
    except Refused as error:
        refused(error)
    body, status, headers = tagged(endpoint_body(made), endpoints.edit_token(made), 201)
    return {**body, "secret": made.secret}, status, headers


@blp.put("/admin/webhook-endpoints/<uuid:endpoint_id>")
@blp.arguments(EndpointArgs)
@blp.response(200, EndpointSchema)
@blp.doc(parameters=[IF_MATCH_DOC])
@documented(blp, security="staff", errors=(404, 412, 415, 422, 428))
def update_endpoint(args: dict[str, Any], endpoint_id: uuid.UUID):
    """Save the URL, description, event types and `is_active` (false pauses deliveries and
    keeps them); audited. If-Match: its ETag as last read."""
    token = if_match("webhook endpoint")
    try:
        saved = endpoints.update_endpoint(
            db.session(),
            actor(),
            endpoint_id,
            _data(args),
            token,
            private_ok=private_allowed(current_app.config),
        )
    except Refused as error:
        refused(error)
    return tagged(endpoint_body(saved), endpoints.edit_token(saved))


@blp.delete("/admin/webhook-endpoints/<uuid:endpoint_id>")
@blp.response(204)
@documented(blp, security="staff", errors=(404,))
def delete_endpoint(endpoint_id: uuid.UUID):
    """Delete the endpoint and its delivery log; events it is still owed are dropped (audited).
    To pause it instead, save it with `is_active: false`."""
    try:
        endpoints.delete_endpoint(db.session(), actor(), endpoint_id)
    except Refused as error:
        refused(error)
    return None


@blp.post("/admin/webhook-endpoints/<uuid:endpoint_id>/secret/rotate")
@blp.response(200, SecretSchema)
@documented(blp, security="staff", errors=(404,))
def rotate_secret(endpoint_id: uuid.UUID):
    """Replace the endpoint's signing secret and answer the new one, this once (audited, the
    secret never in the log). Every delivery from now on is signed with it, retries of earlier
    events included: update the receiver at once."""
    try:
        secret = endpoints.rotate_secret(db.session(), actor(), endpoint_id)
    except Refused as error:
        refused(error)
    return {"secret": secret}, 200, {"Cache-Control": "no-store"}


@blp.get("/admin/webhook-endpoints/<uuid:endpoint_id>/deliveries")
@blp.arguments(PageArgs, location="query")
@blp.response(200, DeliveryPageSchema)
@documented(blp, security="staff", errors=(404, 422))
def list_deliveries(args: dict[str, Any], endpoint_id: uuid.UUID):
    """The endpoint's delivery attempts, newest first: the event, the answer, how long."""
    _endpoint(endpoint_id)
    after = keyset_args(args, lambda token: Cursor.parse(token, parse_time, int))
    page = endpoint_queries.delivery_log(db.session(), endpoint_id, after, size=args["limit"])
    return page_body([delivery_body(d) for d in page.rows], page.next_cursor)


@blp.post("/admin/webhook-endpoints/<uuid:endpoint_id>/events/<uuid:event_id>/resend")
@blp.response(202, ResentSchema)
@documented(blp, security="staff", errors=(404,))
def resend_event(endpoint_id: uuid.UUID, event_id: uuid.UUID):
    """Send an event to the endpoint again, due now, with the same event id (audited); it goes
    out once this answer has."""
    try:
        entry_id = endpoints.resend(db.session(), actor(), endpoint_id, event_id)
    except Refused as error:
        refused(error)
    return sent_after(ResentSchema, {"outbox_entry_id": entry_id}, [entry_id], 202)
