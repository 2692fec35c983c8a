"""Form pieces every admin area uses: JSON object fields, keyset cursors, readable errors."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from wtforms import (
    DateTimeLocalField,
    DecimalField,
    Field,
    Form,
    HiddenField,
    RadioField,
    SelectMultipleField,
    TextAreaField,
)

# types-WTForms 3.2 predates WTForms 3.3, where `SelectChoice` replaced choice tuples.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.form import BaseForm
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.account.forms import DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE
from marketplace.admin.changes import Conflict, Refused

MAX_JSON_CHARS = 20_000
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
NOT_OFFERED = "Choose from the list: something ticked is no longer offered (deactivated?)."


class NoFormToken:
    """Form options: CSRFProtect already checked the token (form field or X-CSRFToken)."""

    csrf = False


def choices(blank: str, labels: dict[str, str]) -> list[SelectChoice]:
    """A select's choices: `blank` ("any") first, then `labels` by value."""
    return [SelectChoice("", blank), *(SelectChoice(k, v) for k, v in labels.items())]


def parse_json_object(text: str) -> dict[str, Any]:
    """`text` as a JSON object (blank is `{}`); ValueError names where it went wrong."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"line {error.lineno}, column {error.colno}: {error.msg}") from None
    if not isinstance(value, dict):
        raise ValueError('Must be a JSON object: { "key": value, … }.')
    return value


def json_text(value: dict[str, Any] | None) -> str:
    """A JSON object as an admin edits it: indented, keys in their stored order."""
    return json.dumps(value or {}, indent=2, ensure_ascii=False)


class JSONObjectField(TextAreaField):
    """A textarea holding a JSON object; `.data` is the dict, errors name line and column."""

    def __init__(self, label: str | None = None, validators=None, **kwargs: Any) -> None:
        super().__init__(label, validators or [Length(max=MAX_JSON_CHARS)], **kwargs)
        self.parsed: dict[str, Any] = {}

    def process_data(self, value: Any) -> None:
        self.data = json_text(value) if isinstance(value, dict) else (value or "")

    def pre_validate(self, form: BaseForm) -> None:
        try:
            self.parsed = parse_json_object(self.data or "")
        except ValueError as error:
            raise ValidationError(str(error)) from None


def within_dates(form: Form, field: Field) -> None:
    """A date filter stays in the range every list accepts (no overflow, no millennia)."""
    if field.data is not None and not EARLIEST_DATE <= field.data <= LATEST_DATE:
        raise ValidationError(DATE_RANGE_MESSAGE)


def cursor_field() -> HiddenField:
    """`?after=`: where a keyset-paged list goes on (the last row of the previous page)."""
    return HiddenField("Page", validators=[Optional(), Length(max=400)])


def first_error(form: Form) -> str:
    """One readable message naming the first field that is wrong."""
    for field in form:
        if field.errors:
            return f"{field.label.text}: {field.errors[0]}"
    return ""


def query_args(form: Form, names: tuple[str, ...]) -> dict[str, str]:
    """The non-empty query parameters `names` as sent (for links that keep a list's state)."""
    sent = {name: form[name].raw_data or [] for name in names}
    return {name: values[0] for name, values in sent.items() if values and values[0]}


def show_refusal(form: BaseForm, refused: Refused) -> int:
    """Put a service's refusal on its field of `form` (if it names one); the status to answer:
    409 when someone else changed the object, else 422."""
    field = form._fields.get(refused.field) if refused.field else None
    if field is not None:
        field.errors = [*field.errors, refused.message]
    return 409 if isinstance(refused, Conflict) else 422


def cents(value: Decimal | None) -> Decimal | None:
    """A form's decimal as money: rounded to the cent (None stays None)."""
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def utc_field(label: str) -> DateTimeLocalField:
    """An optional date and time, entered in UTC."""
    return DateTimeLocalField(label, format=DATETIME_FORMAT, validators=[Optional()])


PERCENT, AMOUNT = "percent", "amount"
MAX_AMOUNT = Decimal("99999999.99")  # NUMERIC(10,2)


class DiscountFields(Form):
    """A discount as a percentage (0 < x ≤ 100) or an amount off (≥ 0): bundles and rules."""

    discount_kind = RadioField(
        "Discount",
        choices=[SelectChoice(PERCENT, "Percent off"), SelectChoice(AMOUNT, "Amount off (USD)")],
        default=PERCENT,
    )
    discount_value = DecimalField(
        "Discount value",
        places=2,
        validators=[
            InputRequired("Enter the discount."),
            NumberRange(min=0, max=MAX_AMOUNT, message="Enter an amount from 0 to 99999999.99."),
        ],
    )

    def validate_discount_value(self, field: DecimalField) -> None:
        problem = discount_problem(self.discount_kind.data or "", field.data or Decimal(0))
        if problem:
            raise ValidationError(problem)

    def discount(self) -> tuple[Decimal | None, Decimal | None]:
        """(percent, amount): the one chosen, the other None."""
        value = cents(self.discount_value.data) or Decimal("0.00")
        return (value, None) if self.discount_kind.data == PERCENT else (None, value)


def discount_problem(kind: str, value: Decimal) -> str | None:
    """Why `value` is no discount of `kind` (a percentage is more than 0, at most 100), or
    None; the forms and the API both ask."""
    if kind == PERCENT and not 0 < value <= 100:
        return "A percentage is more than 0 and at most 100."
    return None


def window_problem(start: datetime | None, end: datetime | None) -> str | None:
    """Why a validity window's `end` does not come after its `start`, or None."""
    if start is not None and end is not None and end <= start:
        return "Must be after “Valid from”."
    return None


def discount_data(percent: Decimal | None, amount: Decimal | None) -> dict[str, Any]:
    """A stored (percent, amount) discount as `DiscountFields`' initial values."""
    if amount is not None and percent is None:
        return {"discount_kind": AMOUNT, "discount_value": amount}
    return {"discount_kind": PERCENT, "discount_value": percent}


class ValidityFields(Form):
    """An optional validity window in UTC; `valid_from` before `valid_until`."""

    valid_from = utc_field("Valid from (UTC)")
    valid_until = utc_field("Valid until (UTC)")

    def validate_valid_until(self, field: DateTimeLocalField) -> None:
        problem = window_problem(self.valid_from.data, field.data)
        if problem:
            raise ValidationError(problem)

    def window(self) -> tuple[datetime | None, datetime | None]:
        """(valid_from, valid_until) as UTC times."""
        return utc(self.valid_from.data), utc(self.valid_until.data)


def utc(value: datetime | None) -> datetime | None:
    """A form's naive date-time, read as UTC."""
    return None if value is None else value.replace(tzinfo=UTC)


def naive_utc(value: datetime | None) -> datetime | None:
    """A stored time as a form shows it: UTC, without the zone."""
    return None if value is None else value.astimezone(UTC).replace(tzinfo=None)


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes (no JS needed)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: BaseForm) -> None:
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(NOT_OFFERED) from None


def as_uuid(value: object) -> uuid.UUID:
    """A choice's value as a UUID (choices hold UUIDs, form data strings); ValueError if not."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
