"""The admin area's tier pricing rules over the API: read, create, edit (deactivate by saving
`is_active: false`, as the rule form does) — through the pricing admin's service, so the engine
checks each rule's conditions and every change is audited as on the pages."""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import fields, validate

from marketplace.admin.changes import Refused
from marketplace.admin.keyset import Cursor, parse_time
from marketplace.admin.pricing import queries as rule_queries
from marketplace.admin.pricing import service as rules
from marketplace.api.admin_common import (
    IF_MATCH_DOC,
    STATUSES,
    OfferArgs,
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
from marketplace.models import PricingRule
from marketplace.pricing import CONDITION_KEYS

blp = admin_blueprint("pricing", "Tier pricing rules: read, create, edit.")


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


class RuleArgs(OfferArgs):
    """Every column of a rule, as the rule form takes them."""

    add_on_id = fields.UUID(required=True)
    tier_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "A subscription tier's code; null: every tier"},
    )
    conditions = fields.Dict(
        keys=fields.String(),
        load_default=dict,
        metadata={
            "description": f"Known keys: {', '.join(CONDITION_KEYS)}",
            "example": {"min_quantity": 2},
        },
    )
    priority = fields.Integer(
        load_default=0,
        validate=validate.Range(min=-1_000_000, max=1_000_000),
        metadata={"description": "The highest priority among the rules that hold wins"},
    )
    is_active = fields.Boolean(load_default=True)


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


def _tagged(rule: PricingRule, status: int = 200):
    return tagged(rule_body(rule), rules.edit_token(rule), status)


def _data(args: dict[str, Any]) -> rules.RuleData:
    return rules.RuleData(
        add_on_id=args["add_on_id"],
        tier_code=args["tier_code"],
        conditions=args["conditions"],
        priority=args["priority"],
        is_active=args["is_active"],
        **offer(args),
    )


@blp.get("/admin/pricing-rules")
@blp.arguments(RuleListArgs, location="query")
@blp.response(200, AdminRulePageSchema)
@documented(blp, security="staff", errors=(422,))
def list_rules(args: dict[str, Any]):
    """Every tier pricing rule, newest first."""
    filters = rule_queries.RuleFilters(
        add_on_id=args["add_on_id"], tier_code=args["tier_code"], status=args["status"]
    )
    after = keyset_args(args, lambda token: Cursor.parse(token, parse_time))
    page = rule_queries.rule_list(db.session(), filters, after, size=args["limit"])
    return page_body([rule_body(r) for r in page.rows], page.next_cursor)


@blp.get("/admin/pricing-rules/<uuid:rule_id>")
@blp.response(200, AdminRuleSchema)
@documented(blp, security="staff", errors=(404,))
def get_rule(rule_id: uuid.UUID):
    """One pricing rule; its ETag is what an edit must send as If-Match."""
    found = rule_queries.rule(db.session(), rule_id)
    return _tagged(or_404(found, "There is no pricing rule with this id."))


@blp.post("/admin/pricing-rules")
@blp.arguments(RuleArgs)
@blp.response(201, AdminRuleSchema)
@documented(blp, security="staff", errors=(415, 422))
def create_rule(args: dict[str, Any]):
    """Add a rule (audited); an unknown add-on or tier, or conditions the pricing engine
    rejects, are a 422 on that field."""
    try:
        created = rules.create_rule(db.session(), actor(), _data(args))
    except Refused as error:
        refused(error)
    return _tagged(created, 201)


@blp.put("/admin/pricing-rules/<uuid:rule_id>")
@blp.arguments(RuleArgs)
@blp.response(200, AdminRuleSchema)
@blp.doc(parameters=[IF_MATCH_DOC])
@documented(blp, security="staff", errors=(404, 412, 415, 422, 428))
def update_rule(args: dict[str, Any], rule_id: uuid.UUID):
    """Save every column of a rule (audited), `is_active: false` to switch it off; If-Match:
    its ETag as last read."""
    token = if_match("pricing rule")
    try:
        saved = rules.update_rule(db.session(), actor(), rule_id, _data(args), token)
    except Refused as error:
        refused(error)
    return _tagged(saved)
