"""Catalog admin forms: the list's filters (GET), the add-on form, feature mappings, bulk."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    Form,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

# types-WTForms 3.2 predates WTForms 3.3, where `SelectChoice` replaced choice tuples.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace.admin.catalog.queries import SORTS, STATUSES, AddOnCursor, AddOnFilters
from marketplace.admin.catalog.service import AddOnData
from marketplace.admin.forms import (
    JSONObjectField,
    NoFormToken,
    choices_with_blank,
    cursor_field,
    query_args,
)
from marketplace.catalog.forms import CATEGORY_LABELS
from marketplace.models.catalog import CATEGORIES, slugify
from marketplace.vocabulary import BillingType

MAX_PRICE = Decimal("99999999.99")  # NUMERIC(10,2)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LIST_PARAMS = ("q", "category", "status", "billing_type", "sort")


CATEGORY_CHOICES = {c: CATEGORY_LABELS[c] for c in CATEGORIES}
BILLING_CHOICES = {b.value: b.label for b in BillingType}


class AddOnQuery(Form):
    """`?q=&category=&status=&billing_type=&sort=&after=` of the add-on list."""

    q = SearchField("Search name or slug", validators=[Optional(), Length(max=200)], default="")
    category = SelectField(
        "Category", choices=choices_with_blank("All categories", CATEGORY_CHOICES), default=""
    )
    status = SelectField(
        "Status", choices=choices_with_blank("Active and inactive", STATUSES), default=""
    )
    billing_type = SelectField(
        "Billing", choices=choices_with_blank("Any billing", BILLING_CHOICES), default=""
    )
    sort = SelectField(
        "Sort by", choices=[SelectChoice(k, s.label) for k, s in SORTS.items()], default="name"
    )
    after = cursor_field()

    def filters(self) -> AddOnFilters:
        return AddOnFilters(
            q=(self.q.data or "").strip(),
            category=self.category.data or None,
            status=self.status.data or None,
            billing_type=self.billing_type.data or None,
            sort=self.sort.data or "name",
        )

    def cursor(self) -> AddOnCursor | None:
        """The `after` cursor; ValueError or ArithmeticError when this list did not make it."""
        return AddOnCursor.parse(self.after.data, self.filters().sort) if self.after.data else None

    def args(self) -> dict[str, str]:
        return query_args(self, LIST_PARAMS)


class AddOnForm(FlaskForm):
    """Every column of an add-on. The icon is kept in its metadata as `icon`."""

    Meta = NoFormToken

    name = StringField("Name", validators=[InputRequired("Enter a name."), Length(max=255)])
    slug = StringField(
        "Slug",
        validators=[Length(max=255)],
        description="Its address in the shop; left empty, it is made from the name.",
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    category = SelectField(
        "Category", choices=[SelectChoice(k, v) for k, v in CATEGORY_CHOICES.items()]
    )
    base_price = DecimalField(
        "Base price (USD)",
        places=2,
        validators=[
            InputRequired("Enter a price (0 for free)."),
            NumberRange(min=0, max=MAX_PRICE, message="Enter a price from 0 to 99999999.99."),
        ],
    )
    billing_type = SelectField(
        "Billing type", choices=[SelectChoice(k, v) for k, v in BILLING_CHOICES.items()]
    )
    features = TextAreaField(
        "Feature keys", description="One per line; shown on cards and searched.", default=""
    )
    icon = StringField("Icon", validators=[Optional(), Length(max=64)], description="Icon name.")
    # Not `meta`: that name is the form's own options.
    metadata_json = JSONObjectField("Metadata (JSON object)")
    display_order = IntegerField(
        "Sort order",
        default=100,
        validators=[InputRequired("Enter a number."), NumberRange(min=-1_000_000, max=1_000_000)],
        description="The shop's “Featured” order: lowest first.",
    )
    is_active = BooleanField("Active (shown in the shop)", default=True)
    token = HiddenField()

    def validate_slug(self, field: StringField) -> None:
        slug = (field.data or "").strip() or slugify(self.name.data or "")
        if not SLUG.match(slug):
            raise ValidationError(
                "Use lower-case letters, digits and single hyphens (a-z, 0-9, -)."
            )
        field.data = slug

    def data_for_service(self) -> AddOnData:
        meta = dict(self.metadata_json.parsed)
        meta.pop("icon", None)
        icon = (self.icon.data or "").strip()
        if icon:
            meta["icon"] = icon
        return AddOnData(
            name=(self.name.data or "").strip(),
            slug=self.slug.data or "",
            description=(self.description.data or "").strip() or None,
            category=self.category.data or "",
            base_price=Decimal(self.base_price.data or 0).quantize(Decimal("0.01")),
            billing_type=self.billing_type.data or "",
            features=[
                line.strip() for line in (self.features.data or "").splitlines() if line.strip()
            ],
            meta=meta,
            is_active=bool(self.is_active.data),
            display_order=self.display_order.data or 0,
        )


def add_on_form_data(snapshot: dict) -> dict:
    """An add-on's stored fields as the form's initial values."""
    meta = dict(snapshot["metadata"])
    icon = meta.pop("icon", "")
    return {
        **snapshot,
        "features": "\n".join(snapshot["features"]),
        "metadata_json": meta,
        "icon": icon if isinstance(icon, str) else "",
        "base_price": Decimal(snapshot["base_price"]),
    }


class FeatureForm(FlaskForm):
    """Map one platform feature to the add-on, with its configuration."""

    Meta = NoFormToken

    feature_key = SelectField("Feature", choices=[], validators=[InputRequired()])
    enabled = BooleanField("Enabled", default=True)
    configuration = JSONObjectField("Configuration (JSON object)")

    def with_features(self, choices: list[tuple[str, str]]) -> FeatureForm:
        self.feature_key.choices = [SelectChoice(k, f"{n} ({k})") for k, n in choices]
        return self


class BulkForm(FlaskForm):
    """Tick add-ons in the list, then activate or deactivate them together."""

    Meta = NoFormToken

    ids = SelectMultipleField("Add-ons", validate_choice=False)
    action = SelectField(
        "With the ticked add-ons",
        choices=[SelectChoice("deactivate", "Deactivate"), SelectChoice("activate", "Activate")],
    )
    back = HiddenField()
