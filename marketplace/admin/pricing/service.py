"""Change tier pricing rules from the admin area, and show what each tier pays for an add-on.

Each save is one transaction with its audit row. Conditions are checked by the engine's own
`pricing.condition_problems` (its list of known keys is the one the form quotes). The price
table prices the add-on through `marketplace.quoting`, as the product page and the cart do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import pricing, quoting
from marketplace.admin import changes
from marketplace.admin.audit.service import Actor, changed_fields, jsonable, record
from marketplace.admin.changes import Conflict, NotFound, Refused
from marketplace.models import AddOn, PricingRule, SubscriptionTier
from marketplace.shopper import Shopper

OBJECT_TYPE = "pricing_rule"
CONFLICT = "This rule was changed by someone else since you opened it — reload to see it."


@dataclass(frozen=True)
class RuleData:
    """Every editable column of a rule, validated by the form."""

    add_on_id: uuid.UUID
    tier_code: str | None
    discount_percent: Decimal | None
    discount_amount: Decimal | None
    conditions: dict[str, Any] = field(default_factory=dict)
    priority: int = 0
    is_active: bool = True
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True)
class TierPrice:
    """What a shopper on `tier` (None: no tier) pays for one unit of the add-on now."""

    tier: str | None
    tier_name: str
    line: pricing.LineQuote


def snapshot(rule: PricingRule) -> dict[str, Any]:
    """The rule's editable fields as the audit log and the edit token see them."""
    return jsonable(
        {
            "add_on_id": rule.add_on_id,
            "tier_code": rule.tier_code,
            "discount_percent": rule.discount_percent,
            "discount_amount": rule.discount_amount,
            "conditions": dict(rule.conditions or {}),
            "priority": rule.priority,
            "is_active": rule.is_active,
            "valid_from": rule.valid_from,
            "valid_until": rule.valid_until,
        }
    )


def edit_token(rule: PricingRule) -> str:
    return changes.edit_token(rule.updated_at, snapshot(rule))


def create_rule(session: Session, actor: Actor, data: RuleData) -> PricingRule:
    """Add a rule; Refused on an unknown add-on or tier, or conditions the engine rejects."""
    _check(session, data)
    rule = PricingRule()
    _assign(rule, data)
    session.add(rule)
    session.flush()
    record(session, actor, "pricing_rule.create", OBJECT_TYPE, rule.id, None, snapshot(rule))
    session.commit()
    return rule


def update_rule(
    session: Session, actor: Actor, rule_id: uuid.UUID, data: RuleData, token: str
) -> PricingRule:
    """Save `data` over the rule loaded with edit `token`; Conflict if it changed since."""
    rule = session.get(PricingRule, rule_id, with_for_update=True, populate_existing=True)
    if rule is None:
        session.rollback()
        raise NotFound("This pricing rule does not exist (any more).")
    if edit_token(rule) != token:
        session.rollback()
        raise Conflict(CONFLICT)
    _check(session, data)
    before = snapshot(rule)
    _assign(rule, data)
    session.flush()
    old, new = changed_fields(before, snapshot(rule))
    if new:
        record(session, actor, "pricing_rule.update", OBJECT_TYPE, rule.id, old, new)
    session.commit()
    return rule


def tier_prices(session: Session, add_on: AddOn) -> list[TierPrice]:
    """One unit of `add_on` priced now for a shopper on no tier and on each tier."""
    tiers = session.execute(
        select(SubscriptionTier.code, SubscriptionTier.name).order_by(
            SubscriptionTier.sort_order, SubscriptionTier.code
        )
    )
    rows = []
    for code, name in [(None, "No tier"), *tiers]:
        quote = quoting.quote_add_ons(session, Shopper.anonymous(code), [(add_on, 1)])
        rows.append(TierPrice(tier=code, tier_name=name, line=quote.lines[0]))
    return rows


def _check(session: Session, data: RuleData) -> None:
    refusal = _refusal(session, data)
    if refusal is not None:
        session.rollback()
        raise refusal


def _refusal(session: Session, data: RuleData) -> Refused | None:
    if session.get(AddOn, data.add_on_id) is None:
        return Refused("This add-on does not exist (any more).", field="add_on_id")
    if data.tier_code and session.get(SubscriptionTier, data.tier_code) is None:
        return Refused(f"“{data.tier_code}” is not a subscription tier.", field="tier_code")
    problems = pricing.condition_problems(data.conditions)
    if problems:
        return Refused(" ".join(problems), field="conditions")
    required = {uuid.UUID(str(v)) for v in data.conditions.get("requires_add_ons", [])}
    found = set(session.scalars(select(AddOn.id).where(AddOn.id.in_(required))))
    if required - found:
        missing = ", ".join(sorted(str(v) for v in required - found))
        return Refused(f"requires_add_ons names no add-on: {missing}.", field="conditions")
    return None


def _assign(rule: PricingRule, data: RuleData) -> None:
    rule.add_on_id = data.add_on_id
    rule.tier_code = data.tier_code
    rule.discount_percent = data.discount_percent
    rule.discount_amount = data.discount_amount
    rule.conditions = dict(data.conditions)
    rule.priority = data.priority
    rule.is_active = data.is_active
    rule.valid_from = data.valid_from
    rule.valid_until = data.valid_until
