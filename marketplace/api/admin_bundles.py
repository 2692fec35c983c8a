"""The admin area's bundles over the API: read, create, edit, (de)activate — through the bundle
admin's service, so each change is checked, audited and refused exactly as on its pages."""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import fields, validate

from marketplace.admin.bundles import queries as bundle_queries
from marketplace.admin.bundles import service as bundles
from marketplace.admin.changes import Refused
from marketplace.admin.keyset import Cursor
from marketplace.api.admin_common import (
    IF_MATCH_DOC,
    ActiveArgs,
    OfferArgs,
    StatusArgs,
    actor,
    admin_blueprint,
    if_match,
    keyset_args,
    offer,
    page_body,
    refused,
    tagged,
)
from marketplace.api.operations import documented
from marketplace.api.problems import or_404
from marketplace.api.schemas import DecimalString, MoneySchema, PageSchema, Strict, Timestamp, money
from marketplace.extensions import db
from marketplace.models import AddOnBundle

blp = admin_blueprint("bundles", "Bundles: read, create, edit, (de)activate.")
FIELDS = {"discount_value": "discount_amount"}  # the form's one discount box


class AdminBundleSchema(Strict):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    add_on_ids = fields.List(fields.UUID(), required=True)
    discount_percent = DecimalString(required=True, allow_none=True)
    discount_amount = fields.Nested(MoneySchema, required=True, allow_none=True)
    valid_from = Timestamp(required=True, allow_none=True)
    valid_until = Timestamp(required=True, allow_none=True)
    is_active = fields.Boolean(required=True)
    display_order = fields.Integer(required=True)


class AdminBundlePageSchema(PageSchema):
    items = fields.List(fields.Nested(AdminBundleSchema), required=True)


class BundleArgs(OfferArgs):
    """Every column of a bundle, as the bundle form takes them."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    description = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=5000)
    )
    add_on_ids = fields.List(
        fields.UUID(),
        required=True,
        validate=validate.Length(max=100),
        metadata={"description": "At least two active add-ons"},
    )
    is_active = fields.Boolean(load_default=True)
    display_order = fields.Integer(
        load_default=100, validate=validate.Range(min=-1_000_000, max=1_000_000)
    )


def bundle_body(bundle: AddOnBundle) -> dict[str, Any]:
    return {
        "id": bundle.id,
        "name": bundle.name,
        "description": bundle.description,
        "add_on_ids": list(bundle.add_on_ids),
        "discount_percent": bundle.discount_percent,
        "discount_amount": None
        if bundle.discount_amount is None
        else money(bundle.discount_amount),
        "valid_from": bundle.valid_from,
        "valid_until": bundle.valid_until,
        "is_active": bundle.is_active,
        "display_order": bundle.display_order,
    }


def _tagged(bundle: AddOnBundle, status: int = 200):
    return tagged(bundle_body(bundle), bundles.edit_token(bundle), status)


def _data(args: dict[str, Any]) -> bundles.BundleData:
    return bundles.BundleData(
        name=args["name"].strip(),
        description=(args["description"] or "").strip() or None,
        add_on_ids=tuple(dict.fromkeys(args["add_on_ids"])),
        is_active=args["is_active"],
        display_order=args["display_order"],
        **offer(args),
    )


@blp.get("/admin/bundles")
@blp.arguments(StatusArgs, location="query")
@blp.response(200, AdminBundlePageSchema)
@documented(blp, security="staff", errors=(422,))
def list_bundles(args: dict[str, Any]):
    """Every bundle (live or not), by name."""
    filters = bundle_queries.BundleFilters(q=args["q"].strip(), status=args["status"])
    after = keyset_args(args, lambda token: Cursor.parse(token, str))
    page = bundle_queries.bundle_list(db.session(), filters, after, size=args["limit"])
    return page_body([bundle_body(b) for b in page.rows], page.next_cursor)


@blp.get("/admin/bundles/<uuid:bundle_id>")
@blp.response(200, AdminBundleSchema)
@documented(blp, security="staff", errors=(404,))
def get_bundle(bundle_id: uuid.UUID):
    """One bundle; its ETag is what an edit must send as If-Match."""
    found = bundle_queries.bundle(db.session(), bundle_id)
    return _tagged(or_404(found, "There is no bundle with this id."))


@blp.post("/admin/bundles")
@blp.arguments(BundleArgs)
@blp.response(201, AdminBundleSchema)
@documented(blp, security="staff", errors=(415, 422))
def create_bundle(args: dict[str, Any]):
    """Add a bundle (audited): at least two active add-ons, a percentage or an amount off;
    a taken name is a 422 on `name`."""
    try:
        created = bundles.create_bundle(db.session(), actor(), _data(args))
    except Refused as error:
        refused(error, fields_as=FIELDS)
    return _tagged(created, 201)


@blp.put("/admin/bundles/<uuid:bundle_id>")
@blp.arguments(BundleArgs)
@blp.response(200, AdminBundleSchema)
@blp.doc(parameters=[IF_MATCH_DOC])
@documented(blp, security="staff", errors=(404, 412, 415, 422, 428))
def update_bundle(args: dict[str, Any], bundle_id: uuid.UUID):
    """Save every column of a bundle (audited); If-Match: its ETag as last read."""
    token = if_match("bundle")
    try:
        saved = bundles.update_bundle(db.session(), actor(), bundle_id, _data(args), token)
    except Refused as error:
        refused(error, fields_as=FIELDS)
    return _tagged(saved)


@blp.put("/admin/bundles/<uuid:bundle_id>/active")
@blp.arguments(ActiveArgs)
@blp.response(200, AdminBundleSchema)
@documented(blp, security="staff", errors=(404, 415, 422))
def set_bundle_active(args: dict[str, Any], bundle_id: uuid.UUID):
    """Deactivate a bundle (it leaves the shop and every cart's price) or reactivate it
    (audited when it changes)."""
    try:
        saved = bundles.set_active(db.session(), actor(), bundle_id, args["is_active"])
    except Refused as error:
        refused(error)
    return _tagged(saved)
