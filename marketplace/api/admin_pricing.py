"""The admin area's bundles, tier pricing rules and promo codes over the API (read), through the
admin pages' own queries."""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import fields, validate

from marketplace.admin.bundles import queries as bundle_queries
from marketplace.admin.keyset import Cursor, parse_time
from marketplace.admin.pricing import queries as rule_queries
from marketplace.admin.promos import queries as promo_queries
from marketplace.api.admin_common import STATUSES, admin_blueprint, keyset_args, page_body
from marketplace.api.operations import documented
from marketplace.api.problems import refuse
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
from marketplace.models import AddOnBundle, PricingRule, PromotionalCode

bundles_blp = admin_blueprint("bundles", "Bundles (read).")
rules_blp = admin_blueprint("pricing", "Tier pricing rules (read).")
promos_blp = admin_blueprint("promos", "Promo codes (read).")


class StatusArgs(PageArgs):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


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
    discount_percent = DecimalString(required=True, allow_none=True)
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
    discount_value = DecimalString(
        required=True, metadata={"description": "Percent, or an amount in USD"}
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
