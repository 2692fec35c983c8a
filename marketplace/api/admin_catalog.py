"""The admin area's catalog over the API (admin role; support reads): add-ons (read and every
change the admin pages make), bundles, pricing rules and promo codes (read). Every change goes
through the admin services, so it is validated, audited and refused exactly as on the pages."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from flask import request
from marshmallow import ValidationError, fields, validate, validates_schema

from marketplace.admin.bundles import queries as bundle_queries
from marketplace.admin.catalog import queries as add_on_queries
from marketplace.admin.catalog import service as add_ons
from marketplace.admin.catalog.forms import MAX_PRICE, SLUG
from marketplace.admin.changes import Conflict, NotFound, Refused
from marketplace.admin.keyset import Cursor, parse_time
from marketplace.admin.pricing import queries as rule_queries
from marketplace.admin.promos import queries as promo_queries
from marketplace.api.admin_common import actor, admin_blueprint, keyset_args, page_body
from marketplace.api.operations import documented
from marketplace.api.problems import refuse
from marketplace.api.schemas import MoneySchema, PageArgs, PageSchema, Strict, Timestamp, money
from marketplace.extensions import db
from marketplace.models import AddOn, AddOnBundle, PricingRule, PromotionalCode
from marketplace.models.catalog import CATEGORIES, slugify
from marketplace.pricing.money import CATALOG_CURRENCY
from marketplace.vocabulary import BillingType

STATUSES = ("active", "inactive")
IF_MATCH_DOC = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": "The add-on's ETag as last read: a change made meanwhile is a 412.",
    "schema": {"type": "string"},
}

blp = admin_blueprint("catalog", "Add-ons: read, create, edit, (de)activate, delete.")
bundles_blp = admin_blueprint("bundles", "Bundles (read).")
rules_blp = admin_blueprint("pricing", "Tier pricing rules (read).")
promos_blp = admin_blueprint("promos", "Promo codes (read).")


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


class PriceArgs(Strict):
    amount = fields.Decimal(
        required=True, places=2, validate=validate.Range(min=0, max=MAX_PRICE), as_string=True
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


class ActiveArgs(Strict):
    is_active = fields.Boolean(required=True)


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
    """The add-on with its edit token as the ETag (send it back as If-Match to change it)."""
    headers = {"ETag": f'"{add_ons.edit_token(add_on)}"', "Cache-Control": "no-store"}
    return add_on_body(add_on), status, headers


def refused(error: Refused):
    """A service's refusal as a problem: 404, 412 (changed meanwhile), else 422 on its field."""
    if isinstance(error, NotFound):
        refuse(404, error.message)
    if isinstance(error, Conflict):
        refuse(412, error.message)
    refuse(422, error.message, errors={error.field: [error.message]} if error.field else None)


def _add_on(add_on_id: uuid.UUID) -> AddOn:
    found = add_on_queries.add_on(db.session(), add_on_id)
    if found is None:
        refuse(404, "There is no add-on with this id.")
    return found


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
    token = request.headers.get("If-Match", "").strip().strip('"')
    if not token:
        refuse(428, "Send the add-on's ETag as If-Match, so no one's change is overwritten.")
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


# Bundles, pricing rules, promo codes (read) ----------------------------------------------------


class StatusArgs(PageArgs):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class AdminBundleSchema(Strict):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    add_on_ids = fields.List(fields.UUID(), required=True)
    discount_percent = fields.Decimal(required=True, allow_none=True, as_string=True)
    discount_amount = fields.Nested(MoneySchema, required=True, allow_none=True)
    valid_from = Timestamp(required=True, allow_none=True)
    valid_until = Timestamp(required=True, allow_none=True)
    is_active = fields.Boolean(required=True)
    display_order = fields.Integer(required=True)


class AdminBundlePageSchema(PageSchema):
    items = fields.List(fields.Nested(AdminBundleSchema), required=True)


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


@bundles_blp.get("/admin/bundles")
@bundles_blp.arguments(StatusArgs, location="query")
@bundles_blp.response(200, AdminBundlePageSchema)
@documented(bundles_blp, security="staff", errors=(422,))
def list_bundles(args: dict[str, Any]):
    """Every bundle (live or not), by name."""
    filters = bundle_queries.BundleFilters(q=args["q"].strip(), status=args["status"])
    after = keyset_args(args, lambda token: Cursor.parse(token, str))
    page = bundle_queries.bundle_list(db.session(), filters, after, size=args["limit"])
    return page_body([bundle_body(b) for b in page.rows], page.next_cursor)


@bundles_blp.get("/admin/bundles/<uuid:bundle_id>")
@bundles_blp.response(200, AdminBundleSchema)
@documented(bundles_blp, security="staff", errors=(404,))
def get_bundle(bundle_id: uuid.UUID):
    """One bundle."""
    found = bundle_queries.bundle(db.session(), bundle_id)
    if found is None:
        refuse(404, "There is no bundle with this id.")
    return bundle_body(found), 200, {"Cache-Control": "no-store"}


class RuleListArgs(PageArgs):
    add_on_id = fields.UUID(load_default=None)
    tier_code = fields.String(load_default=None, validate=validate.Length(min=1, max=50))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class AdminRuleSchema(Strict):
    id = fields.UUID(required=True)
    add_on_id = fields.UUID(required=True)
    tier_code = fields.String(required=True, allow_none=True)
    discount_percent = fields.Decimal(required=True, allow_none=True, as_string=True)
    discount_amount = fields.Nested(MoneySchema, required=True, allow_none=True)
    conditions = fields.Dict(required=True)
    priority = fields.Integer(required=True)
    is_active = fields.Boolean(required=True)
    valid_from = Timestamp(required=True, allow_none=True)
    valid_until = Timestamp(required=True, allow_none=True)
    created_at = Timestamp(required=True)


class AdminRulePageSchema(PageSchema):
    items = fields.List(fields.Nested(AdminRuleSchema), required=True)


def rule_body(rule: PricingRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "add_on_id": rule.add_on_id,
        "tier_code": rule.tier_code,
        "discount_percent": rule.discount_percent,
        "discount_amount": None if rule.discount_amount is None else money(rule.discount_amount),
        "conditions": dict(rule.conditions or {}),
        "priority": rule.priority,
        "is_active": rule.is_active,
        "valid_from": rule.valid_from,
        "valid_until": rule.valid_until,
        "created_at": rule.created_at,
    }


@rules_blp.get("/admin/pricing-rules")
@rules_blp.arguments(RuleListArgs, location="query")
@rules_blp.response(200, AdminRulePageSchema)
@documented(rules_blp, security="staff", errors=(422,))
def list_rules(args: dict[str, Any]):
    """Every tier pricing rule, newest first."""
    filters = rule_queries.RuleFilters(
        add_on_id=args["add_on_id"], tier_code=args["tier_code"], status=args["status"]
    )
    after = keyset_args(args, lambda token: Cursor.parse(token, parse_time))
    page = rule_queries.rule_list(db.session(), filters, after, size=args["limit"])
    return page_body([rule_body(r) for r in page.rows], page.next_cursor)


@rules_blp.get("/admin/pricing-rules/<uuid:rule_id>")
@rules_blp.response(200, AdminRuleSchema)
@documented(rules_blp, security="staff", errors=(404,))
def get_rule(rule_id: uuid.UUID):
    """One pricing rule."""
    found = rule_queries.rule(db.session(), rule_id)
    if found is None:
        refuse(404, "There is no pricing rule with this id.")
    return rule_body(found), 200, {"Cache-Control": "no-store"}


class AdminPromoSchema(Strict):
    id = fields.UUID(required=True)
    code = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    discount_type = fields.String(required=True)
    discount_value = fields.Decimal(
        required=True, as_string=True, metadata={"description": "Percent, or an amount in USD"}
    )
    max_uses = fields.Integer(required=True, allow_none=True)
    current_uses = fields.Integer(required=True)
    applicable_to = fields.List(fields.UUID(), required=True, allow_none=True)
    expires_at = Timestamp(required=True, allow_none=True)
    is_active = fields.Boolean(required=True)


class AdminPromoPageSchema(PageSchema):
    items = fields.List(fields.Nested(AdminPromoSchema), required=True)


def promo_body(code: PromotionalCode) -> dict[str, Any]:
    return {
        "id": code.id,
        "code": code.code,
        "description": code.description,
        "discount_type": code.discount_type,
        "discount_value": code.discount_value,
        "max_uses": code.max_uses,
        "current_uses": code.current_uses,
        "applicable_to": None if code.applicable_to is None else list(code.applicable_to),
        "expires_at": code.expires_at,
        "is_active": code.is_active,
    }


@promos_blp.get("/admin/promo-codes")
@promos_blp.arguments(StatusArgs, location="query")
@promos_blp.response(200, AdminPromoPageSchema)
@documented(promos_blp, security="staff", errors=(422,))
def list_promos(args: dict[str, Any]):
    """Every promo code, by code."""
    filters = promo_queries.PromoFilters(q=args["q"].strip(), status=args["status"])
    after = keyset_args(args, lambda token: Cursor.parse(token, str))
    page = promo_queries.promo_list(db.session(), filters, after, size=args["limit"])
    return page_body([promo_body(p) for p in page.rows], page.next_cursor)


@promos_blp.get("/admin/promo-codes/<uuid:code_id>")
@promos_blp.response(200, AdminPromoSchema)
@documented(promos_blp, security="staff", errors=(404,))
def get_promo(code_id: uuid.UUID):
    """One promo code."""
    found = promo_queries.promo(db.session(), code_id)
    if found is None:
        refuse(404, "There is no promo code with this id.")
    return promo_body(found), 200, {"Cache-Control": "no-store"}
