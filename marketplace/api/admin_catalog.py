"""The admin area's add-ons over the API: read, and every change the admin pages make, through
the admin services, so each is validated, audited and refused exactly as on the pages."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from marketplace.admin.catalog import queries as add_on_queries
from marketplace.admin.catalog import service as add_ons
from marketplace.admin.catalog.forms import MAX_PRICE, SLUG
from marketplace.admin.changes import Refused
from marketplace.admin.keyset import Cursor
from marketplace.api.admin_common import (
    IF_MATCH_DOC,
    STATUSES,
    ActiveArgs,
    actor,
    admin_blueprint,
    if_match,
    keyset_args,
    page_body,
    refused,
    tagged,
)
from marketplace.api.operations import documented
from marketplace.api.problems import or_404
from marketplace.api.schemas import (
    DecimalString,
    MoneySchema,
    PageArgs,
    PageSchema,
    Strict,
    Timestamp,
    money,
)
from marketplace.extensions import db
from marketplace.models import AddOn
from marketplace.models.catalog import CATEGORIES, slugify
from marketplace.pricing.money import CATALOG_CURRENCY
from marketplace.vocabulary import BillingType

blp = admin_blueprint("catalog", "Add-ons: read, create, edit, (de)activate, delete.")


# Add-ons ---------------------------------------------------------------------------------------


class AdminAddOnListArgs(PageArgs):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    billing_type = fields.String(
        load_default=None, validate=validate.OneOf([b.value for b in BillingType])
    )
    sort = fields.String(load_default="name", validate=validate.OneOf(tuple(add_on_queries.SORTS)))


class AdminAddOnSchema(Strict):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    slug = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    category = fields.String(required=True)
    price = fields.Nested(MoneySchema, required=True)
    billing_type = fields.String(required=True)
    features = fields.List(fields.String(), required=True)
    metadata = fields.Dict(required=True)
    is_active = fields.Boolean(required=True)
    display_order = fields.Integer(required=True)
    updated_at = Timestamp(required=True)


class AdminAddOnPageSchema(PageSchema):
    items = fields.List(fields.Nested(AdminAddOnSchema), required=True)


def _price_in_range(amount: Decimal) -> None:
    # Not validate.Range: apispec would write its bounds into a string-typed schema.
    if not 0 <= amount <= MAX_PRICE:
        raise ValidationError(f"Enter a price from 0 to {MAX_PRICE}.")


class PriceArgs(Strict):
    amount = DecimalString(
        required=True,
        places=2,
        validate=_price_in_range,
        metadata={"pattern": r"^\d{1,8}(\.\d{1,2})?$", "example": "12.50"},
    )
    currency = fields.String(required=True, validate=validate.OneOf([CATALOG_CURRENCY]))


class AddOnArgs(Strict):
    """Every column of an add-on, as the admin form takes them."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    slug = fields.String(
        load_default="",
        validate=validate.Length(max=255),
        metadata={"description": "Empty: made from the name"},
    )
    description = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=5000)
    )
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    price = fields.Nested(PriceArgs, required=True)
    billing_type = fields.String(
        required=True, validate=validate.OneOf([b.value for b in BillingType])
    )
    features = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)), load_default=list
    )
    metadata = fields.Dict(keys=fields.String(), load_default=dict)
    is_active = fields.Boolean(load_default=True)
    display_order = fields.Integer(
        load_default=100, validate=validate.Range(min=-1_000_000, max=1_000_000)
    )

    @validates_schema(skip_on_field_errors=False)
    def check_slug(self, data: dict[str, Any], **kwargs: Any) -> None:
        slug = data.get("slug", "").strip() or slugify(data.get("name", ""))
        if not SLUG.match(slug):
            raise ValidationError(
                "Use lower-case letters, digits and single hyphens (a-z, 0-9, -).", "slug"
            )


def add_on_body(add_on: AddOn) -> dict[str, Any]:
    return {
        "id": add_on.id,
        "name": add_on.name,
        "slug": add_on.slug,
        "description": add_on.description,
        "category": add_on.category,
        "price": money(add_on.base_price),
        "billing_type": add_on.billing_type,
        "features": list(add_on.features or []),
        "metadata": dict(add_on.meta or {}),
        "is_active": add_on.is_active,
        "display_order": add_on.display_order,
        "updated_at": add_on.updated_at,
    }


def add_on_data(args: dict[str, Any]) -> add_ons.AddOnData:
    return add_ons.AddOnData(
        name=args["name"].strip(),
        slug=args["slug"].strip() or slugify(args["name"]),
        description=(args["description"] or "").strip() or None,
        category=args["category"],
        base_price=Decimal(args["price"]["amount"]).quantize(Decimal("0.01")),
        billing_type=args["billing_type"],
        features=[key.strip() for key in args["features"] if key.strip()],
        meta=args["metadata"],
        is_active=args["is_active"],
        display_order=args["display_order"],
    )


def _tagged(add_on: AddOn, status: int = 200):
    return tagged(add_on_body(add_on), add_ons.edit_token(add_on), status)


def _add_on(add_on_id: uuid.UUID) -> AddOn:
    return or_404(
        add_on_queries.add_on(db.session(), add_on_id), "There is no add-on with this id."
    )


@blp.get("/admin/add-ons")
@blp.arguments(AdminAddOnListArgs, location="query")
@blp.response(200, AdminAddOnPageSchema)
@documented(blp, security="staff", errors=(422,))
def list_add_ons(args: dict[str, Any]):
    """Every add-on (active or not), filtered, in the chosen order."""
    filters = add_on_queries.AddOnFilters(
        q=args["q"].strip(),
        category=args["category"],
        status=args["status"],
        billing_type=args["billing_type"],
        sort=args["sort"],
    )
    parse = add_on_queries.SORTS[filters.sort].parse
    after = keyset_args(args, lambda token: Cursor.parse(token, parse))
    page = add_on_queries.add_on_list(db.session(), filters, after, size=args["limit"])
    return page_body([add_on_body(a) for a in page.rows], page.next_cursor)


@blp.get("/admin/add-ons/<uuid:add_on_id>")
@blp.response(200, AdminAddOnSchema)
@documented(blp, security="staff", errors=(404,))
def get_add_on(add_on_id: uuid.UUID):
    """One add-on; its ETag is what a change must send as If-Match."""
    return _tagged(_add_on(add_on_id))


@blp.post("/admin/add-ons")
@blp.arguments(AddOnArgs)
@blp.response(201, AdminAddOnSchema)
@documented(blp, security="staff", errors=(415, 422))
def create_add_on(args: dict[str, Any]):
    """Add an add-on (audited); a slug in use is a 422 on `slug`."""
    try:
        created = add_ons.create_add_on(db.session(), actor(), add_on_data(args))
    except Refused as error:
        refused(error)
    return _tagged(created, 201)


@blp.put("/admin/add-ons/<uuid:add_on_id>")
@blp.arguments(AddOnArgs)
@blp.response(200, AdminAddOnSchema)
@blp.doc(parameters=[IF_MATCH_DOC])
@documented(blp, security="staff", errors=(404, 412, 415, 422, 428))
def update_add_on(args: dict[str, Any], add_on_id: uuid.UUID):
    """Save every column of an add-on (audited); If-Match: its ETag as last read."""
    token = if_match("add-on")
    try:
        saved = add_ons.update_add_on(db.session(), actor(), add_on_id, add_on_data(args), token)
    except Refused as error:
        refused(error)
    return _tagged(saved)


@blp.put("/admin/add-ons/<uuid:add_on_id>/active")
@blp.arguments(ActiveArgs)
@blp.response(200, AdminAddOnSchema)
@documented(blp, security="staff", errors=(404, 415, 422))
def set_add_on_active(args: dict[str, Any], add_on_id: uuid.UUID):
    """Put an add-on on sale or take it off (a soft delete; audited when it changes)."""
    _add_on(add_on_id)
    add_ons.set_active(db.session(), actor(), [add_on_id], args["is_active"])
    return _tagged(_add_on(add_on_id))


@blp.delete("/admin/add-ons/<uuid:add_on_id>")
@blp.response(204)
@documented(blp, security="staff", errors=(404, 422))
def delete_add_on(add_on_id: uuid.UUID):
    """Delete an add-on never sold (audited); one that was sold is a 422: deactivate it."""
    try:
        add_ons.delete_add_on(db.session(), actor(), add_on_id)
    except Refused as error:
        refused(error)
    return None
