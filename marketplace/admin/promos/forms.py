"""Promo code admin forms: the list's filters, one code, and a batch of codes."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    Form,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
)

# types-WTForms 3.2 predates WTForms 3.3, where `SelectChoice` replaced choice tuples.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace.admin.catalog.queries import STATUSES
from marketplace.admin.forms import (
    MAX_AMOUNT,
    CheckboxListField,
    NoFormToken,
    as_uuid,
    cents,
    choices,
    cursor_field,
    naive_utc,
    query_args,
    utc,
    utc_field,
    window_problem,
)
from marketplace.admin.keyset import Cursor
from marketplace.admin.promos import service
from marketplace.admin.promos.queries import PromoFilters
from marketplace.models import PromotionalCode
from marketplace.pricing import normalize_code
from marketplace.vocabulary import DiscountType

CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")
CODE_MESSAGE = "Use letters, digits, - and _ (no spaces); it is stored in capitals."
MAX_PREFIX = 20
LIST_PARAMS = ("q", "status")
TYPE_LABELS = {
    DiscountType.PERCENTAGE.value: "Percent off",
    DiscountType.FIXED_AMOUNT.value: "Amount off (USD)",
}


class PromoQuery(Form):
    """`?q=&status=&after=` of the promo code list."""

    q = SearchField("Search code", validators=[Optional(), Length(max=50)], default="")
    status = SelectField("Status", choices=choices("Active and inactive", STATUSES), default="")
    after = cursor_field()

    def filters(self) -> PromoFilters:
        return PromoFilters(q=(self.q.data or "").strip(), status=self.status.data or None)

    def cursor(self) -> Cursor | None:
        return Cursor.parse(self.after.data, str) if self.after.data else None

    def args(self) -> dict[str, str]:
        return query_args(self, LIST_PARAMS)


class PromoTermsFields(Form):
    """What a code gives and to whom (a single code's form and the batch form share them)."""

    description = StringField("Description (for staff)", validators=[Optional(), Length(max=500)])
    discount_type = SelectField(
        "Discount", choices=[SelectChoice(k, v) for k, v in TYPE_LABELS.items()]
    )
    discount_value = DecimalField(
        "Discount value",
        places=2,
        validators=[
            InputRequired("Enter the discount."),
            NumberRange(min=Decimal("0.01"), max=MAX_AMOUNT, message="Enter more than 0."),
        ],
    )
    max_uses = IntegerField(
        "Maximum uses",
        validators=[Optional(), NumberRange(min=1, max=100_000_000, message="At least 1.")],
        description="Across all shoppers; empty for no limit.",
    )
    valid_from = utc_field("Valid from (UTC)")
    expires_at = utc_field("Expires (UTC)")
    min_purchase_amount = DecimalField(
        "Minimum purchase (USD)",
        places=2,
        validators=[Optional(), NumberRange(min=0, max=MAX_AMOUNT, message="0 or more.")],
    )
    applicable_to = CheckboxListField(
        "Applies to", coerce=as_uuid, description="Tick none for every add-on."
    )
    tier = SelectField("Only for tier", choices=[])
    first_purchase_only = BooleanField("First purchase only")
    once_per_user = BooleanField("Once per shopper")
    is_active = BooleanField("Active", default=True)

    def with_choices(self, add_ons, tiers) -> PromoTermsFields:
        self.applicable_to.choices = add_ons
        self.tier.choices = [SelectChoice("", "Any tier"), *(SelectChoice(k, v) for k, v in tiers)]
        return self

    def validate_discount_value(self, field: DecimalField) -> None:
        problem = service.value_problem(self.discount_type.data or "", field.data or Decimal(0))
        if problem:
            raise ValidationError(problem)

    def validate_expires_at(self, field: DateTimeLocalField) -> None:
        problem = window_problem(self.valid_from.data, field.data)
        if problem:
            raise ValidationError(problem)

    def terms(self) -> service.PromoTerms:
        ticked = tuple(dict.fromkeys(self.applicable_to.data or []))
        return service.PromoTerms(
            discount_type=self.discount_type.data or "",
            discount_value=cents(self.discount_value.data) or Decimal("0.00"),
            description=(self.description.data or "").strip() or None,
            max_uses=self.max_uses.data,
            applicable_to=ticked or None,
            valid_from=utc(self.valid_from.data),
            expires_at=utc(self.expires_at.data),
            min_purchase_amount=cents(self.min_purchase_amount.data),
            first_purchase_only=bool(self.first_purchase_only.data),
            tier=self.tier.data or None,
            once_per_user=bool(self.once_per_user.data),
            is_active=bool(self.is_active.data),
        )


class PromoForm(FlaskForm, PromoTermsFields):
    """One code and its terms."""

    Meta = NoFormToken

    code = StringField(
        "Code",
        validators=[InputRequired("Enter a code."), Length(max=50)],
        description="Shoppers type it in any case.",
    )
    token = HiddenField()

    def validate_code(self, field: StringField) -> None:
        field.data = normalize_code(field.data or "")
        if not CODE.match(field.data):
            raise ValidationError(CODE_MESSAGE)


class BatchForm(FlaskForm, PromoTermsFields):
    """N random codes sharing a prefix and terms."""

    Meta = NoFormToken

    prefix = StringField(
        "Prefix",
        validators=[Optional(), Length(max=MAX_PREFIX)],
        description=f"Up to {MAX_PREFIX} characters before {service.RANDOM_CHARS} random ones.",
    )
    count = IntegerField(
        "How many codes",
        default=100,
        validators=[
            InputRequired("Enter how many."),
            NumberRange(min=1, max=service.MAX_BATCH, message="From 1 to 100,000."),
        ],
    )

    def validate_prefix(self, field: StringField) -> None:
        field.data = normalize_code(field.data or "")
        if field.data and not CODE.match(field.data):
            raise ValidationError(CODE_MESSAGE)


def promo_form_data(promo: PromotionalCode) -> dict:
    """A stored code's fields (and edit token) as the form's initial values."""
    restrictions = dict(promo.user_restrictions or {})
    tier = restrictions.get("tier")
    return {
        "code": promo.code,
        "description": promo.description,
        "discount_type": promo.discount_type,
        "discount_value": promo.discount_value,
        "max_uses": promo.max_uses,
        "valid_from": naive_utc(promo.valid_from),
        "expires_at": naive_utc(promo.expires_at),
        "min_purchase_amount": promo.min_purchase_amount,
        "applicable_to": list(promo.applicable_to or []),
        "tier": tier if isinstance(tier, str) else "",
        "first_purchase_only": bool(restrictions.get("first_purchase_only")),
        "once_per_user": bool(restrictions.get("once_per_user")),
        "is_active": promo.is_active,
        "token": service.edit_token(promo),
    }
