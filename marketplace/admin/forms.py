"""Form pieces every admin area uses: JSON object fields, keyset cursors, readable errors."""

from __future__ import annotations

import json
from typing import Any

from wtforms import Field, Form, HiddenField, TextAreaField

# types-WTForms 3.2 predates WTForms 3.3, where `SelectChoice` replaced choice tuples.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.form import BaseForm
from wtforms.validators import Length, Optional, ValidationError

from marketplace.account.forms import DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE

MAX_JSON_CHARS = 20_000


class NoFormToken:
    """Form options: CSRFProtect already checked the token (form field or X-CSRFToken)."""

    csrf = False


def choices_with_blank(blank: str, labels: dict[str, str]) -> list[SelectChoice]:
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
