"""Pricing rule admin forms: the list's filters (GET) and the rule form."""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, HiddenField, IntegerField, SelectField

# types-WTForms 3.2 predates WTForms 3.3, where `SelectChoice` replaced choice tuples.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import InputRequired, NumberRange, ValidationError

from marketplace.admin.catalog.queries import STATUSES
from marketplace.admin.forms import (
    DiscountFields,
    JSONObjectField,
    NoFormToken,
    ValidityFields,
    as_uuid,
    choices,
    cursor_field,
    discount_data,
    naive_utc,
    query_args,
)
from marketplace.admin.keyset import Cursor
from marketplace.admin.pricing import service
from marketplace.admin.pricing.queries import RuleFilters
from marketplace.models import PricingRule
from marketplace.pricing import CONDITION_KEYS, condition_problems

LIST_PARAMS = ("add_on", "tier", "status")
EVERY_TIER = "Every tier"


def _options(blank: str, pairs: list[tuple[object, str]]) -> list[SelectChoice]:
    return [SelectChoice("", blank), *(SelectChoice(str(k), v) for k, v in pairs)]


class RuleQuery(Form):
    """`?add_on=&tier=&status=&after=` of the rule list."""

    add_on = SelectField("Add-on", choices=[], default="")
    tier = SelectField("Tier", choices=[], default="")
    status = SelectField("Status", choices=choices("Active and inactive", STATUSES), default="")
    after = cursor_field()

    def with_choices(self, add_ons, tiers) -> RuleQuery:
        self.add_on.choices = _options("All add-ons", add_ons)
        self.tier.choices = _options("All tiers", tiers)
        return self

    def filters(self) -> RuleFilters:
        return RuleFilters(
            add_on_id=as_uuid(self.add_on.data) if self.add_on.data else None,
            tier_code=self.tier.data or None,
            status=self.status.data or None,
        )

    def cursor(self) -> Cursor | None:
        return Cursor.parse(self.after.data, datetime.fromisoformat) if self.after.data else None

    def args(self) -> dict[str, str]:
        return query_args(self, LIST_PARAMS)


class RuleForm(FlaskForm, DiscountFields, ValidityFields):
    """Every column of a pricing rule."""

    Meta = NoFormToken

    add_on_id = SelectField("Add-on", choices=[], coerce=as_uuid, validators=[InputRequired()])
    tier_code = SelectField("Tier", choices=[], default="")
    conditions = JSONObjectField(
        "Conditions (JSON object)",
        description=f"Known keys: {', '.join(CONDITION_KEYS)}. "
        'E.g. {"min_quantity": 2} or {"requires_add_ons": ["<add-on id>"]}.',
    )
    priority = IntegerField(
        "Priority",
        default=0,
        validators=[InputRequired("Enter a number."), NumberRange(min=-1_000_000, max=1_000_000)],
        description="The highest priority among the rules that hold wins.",
    )
    is_active = BooleanField("Active", default=True)
    token = HiddenField()

    def with_choices(self, add_ons, tiers) -> RuleForm:
        self.add_on_id.choices = [SelectChoice(k, v) for k, v in add_ons]
        self.tier_code.choices = _options(EVERY_TIER, tiers)
        return self

    def validate_conditions(self, field: JSONObjectField) -> None:
        problems = condition_problems(field.parsed)
        if problems:
            raise ValidationError(" ".join(problems))

    def data_for_service(self) -> service.RuleData:
        percent, amount = self.discount()
        valid_from, valid_until = self.window()
        return service.RuleData(
            add_on_id=self.add_on_id.data or uuid.UUID(int=0),
            tier_code=self.tier_code.data or None,
            discount_percent=percent,
            discount_amount=amount,
            conditions=dict(self.conditions.parsed),
            priority=self.priority.data or 0,
            is_active=bool(self.is_active.data),
            valid_from=valid_from,
            valid_until=valid_until,
        )


def rule_form_data(rule: PricingRule) -> dict:
    """A stored rule's fields (and edit token) as the form's initial values."""
    return {
        "add_on_id": rule.add_on_id,
        "tier_code": rule.tier_code or "",
        **discount_data(rule.discount_percent, rule.discount_amount),
        "conditions": dict(rule.conditions or {}),
        "priority": rule.priority,
        "is_active": rule.is_active,
        "valid_from": naive_utc(rule.valid_from),
        "valid_until": naive_utc(rule.valid_until),
        "token": service.edit_token(rule),
    }
