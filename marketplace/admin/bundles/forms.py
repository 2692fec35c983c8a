"""Bundle admin forms: the list's filters (GET) and the bundle form."""

from __future__ import annotations

import uuid

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace.admin.bundles import service
from marketplace.admin.bundles.queries import BundleFilters
from marketplace.admin.catalog.queries import STATUSES
from marketplace.admin.forms import (
    CheckboxListField,
    DiscountFields,
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
from marketplace.models import AddOnBundle

LIST_PARAMS = ("q", "status")


class BundleQuery(Form):
    """`?q=&status=&after=` of the bundle list."""

    q = SearchField("Search name", validators=[Optional(), Length(max=200)], default="")
    status = SelectField("Status", choices=choices("Active and inactive", STATUSES), default="")
    after = cursor_field()

    def filters(self) -> BundleFilters:
        return BundleFilters(q=(self.q.data or "").strip(), status=self.status.data or None)

    def cursor(self) -> Cursor | None:
        """The `after` cursor; ValueError when this list did not make it."""
        return Cursor.parse(self.after.data, str) if self.after.data else None

    def args(self) -> dict[str, str]:
        return query_args(self, LIST_PARAMS)


class BundleForm(FlaskForm, DiscountFields, ValidityFields):
    """Every column of a bundle; its members are ticked from the active add-ons."""

    Meta = NoFormToken

    name = StringField("Name", validators=[InputRequired("Enter a name."), Length(max=255)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    add_on_ids = CheckboxListField("Add-ons in the bundle", coerce=as_uuid)
    display_order = IntegerField(
        "Sort order",
        default=100,
        validators=[InputRequired("Enter a number."), NumberRange(min=-1_000_000, max=1_000_000)],
        description="The bundles page's order: lowest first.",
    )
    is_active = BooleanField("Active (offered in the shop)", default=True)
    token = HiddenField()

    def with_add_ons(self, add_ons: list[tuple[uuid.UUID, str]]) -> BundleForm:
        self.add_on_ids.choices = add_ons
        return self

    def validate_add_on_ids(self, field: CheckboxListField) -> None:
        if len(set(field.data or [])) < 2:
            raise ValidationError("Choose at least two add-ons.")

    def data_for_service(self) -> service.BundleData:
        percent, amount = self.discount()
        valid_from, valid_until = self.window()
        return service.BundleData(
            name=(self.name.data or "").strip(),
            description=(self.description.data or "").strip() or None,
            add_on_ids=tuple(dict.fromkeys(self.add_on_ids.data or [])),
            discount_percent=percent,
            discount_amount=amount,
            valid_from=valid_from,
            valid_until=valid_until,
            is_active=bool(self.is_active.data),
            display_order=self.display_order.data or 0,
        )


def bundle_form_data(bundle: AddOnBundle) -> dict:
    """A stored bundle's fields (and edit token) as the form's initial values."""
    return {
        **service.snapshot(bundle),
        "add_on_ids": list(bundle.add_on_ids),
        **discount_data(bundle.discount_percent, bundle.discount_amount),
        "valid_from": naive_utc(bundle.valid_from),
        "valid_until": naive_utc(bundle.valid_until),
        "token": service.edit_token(bundle),
    }
