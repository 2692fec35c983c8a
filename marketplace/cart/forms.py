"""Forms for the cart's POSTs; CSRF is checked for every POST by CSRFProtect, htmx included."""

from __future__ import annotations

import uuid

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from marketplace.models.cart import MAX_QUANTITY

QUANTITY_MESSAGE = f"Quantity must be a whole number from 1 to {MAX_QUANTITY}."


class _Form(FlaskForm):
    class Meta:
        # CSRFProtect already checked the token (form field or X-CSRFToken header).
        csrf = False

    def first_error(self) -> str:
        return next(iter(errors[0] for errors in self.errors.values() if errors))


class UuidField(StringField):
    """A UUID as text; once the `_uuid` validator has passed, `parsed` holds its value."""

    parsed: uuid.UUID


def _uuid(message: str):
    def check(form, field) -> None:
        try:
            field.parsed = uuid.UUID(field.data.strip())
        except (AttributeError, ValueError):
            raise ValidationError(message) from None

    return check


class QuantityField(IntegerField):
    """A whole number 1–100 with one message for every way it can be wrong."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(QUANTITY_MESSAGE) from None

    @property
    def number(self) -> int:
        """The quantity, once validated (`NumberRange` refuses a missing one)."""
        if self.data is None:
            raise RuntimeError("the quantity was read before the form was validated")
        return self.data


class AddItemForm(_Form):
    add_on_id = UuidField(
        validators=[InputRequired("Choose an add-on."), _uuid("That isn't a valid add-on id.")]
    )
    quantity = QuantityField(
        default=1, validators=[NumberRange(min=1, max=MAX_QUANTITY, message=QUANTITY_MESSAGE)]
    )


class AddBundleForm(_Form):
    bundle_id = UuidField(
        validators=[InputRequired("Choose a bundle."), _uuid("That isn't a valid bundle id.")]
    )


class QuantityForm(_Form):
    quantity = QuantityField(
        validators=[
            InputRequired(QUANTITY_MESSAGE),
            NumberRange(min=1, max=MAX_QUANTITY, message=QUANTITY_MESSAGE),
        ]
    )


class PromoForm(_Form):
    code = StringField(
        validators=[
            InputRequired("Enter a promo code."),
            Length(max=50, message="Promo codes are at most 50 characters."),
        ]
    )
