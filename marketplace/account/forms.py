"""Forms of the account pages: purchase filters (GET) and subscription changes (POST)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TypedDict

from flask_wtf import FlaskForm
from wtforms import DateField, Form, IntegerField, SearchField, SelectField, TextAreaField

# types-WTForms 3.2 predates WTForms 3.3, where `SelectChoice` replaced choice tuples.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace.vocabulary import OrderStatus

MAX_PAGE = 10_000
MAX_REASON = 1000
# The dates a purchase filter may name: wide enough for any purchase, narrow enough that a
# date never overflows (`until` + 1 day past 9999-12-31) or asks for millennia of history.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
DATE_RANGE_MESSAGE = f"Pick a date from {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}."
REVERSED_RANGE_MESSAGE = "The end date is before the start date."


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _within_date_range(form, field) -> None:
    if field.data is not None and not EARLIEST_DATE <= field.data <= LATEST_DATE:
        raise ValidationError(DATE_RANGE_MESSAGE)


class PurchaseFilters(Form):
    """`?status=&since=&until=&q=&page=` of the purchase history (GET: no CSRF token)."""

    # The date inputs' min and max, so a browser's picker offers only dates we accept.
    earliest_date = EARLIEST_DATE.isoformat()
    latest_date = LATEST_DATE.isoformat()

    q = SearchField("Add-on name", validators=[Optional(), Length(max=100)], default="")
    status = SelectField(
        "Status",
        choices=[
            SelectChoice("", "Any status"),
            *(SelectChoice(s.value, s.label) for s in OrderStatus),
        ],
        # Links from before orders named a paid purchase "completed".
        filters=[lambda value: OrderStatus.PAID.value if value == "completed" else value],
        default="",
    )
    since = DateField("From", validators=[Optional(), _within_date_range])
    until = DateField("To", validators=[Optional(), _within_date_range])
    page = IntegerField(
        "Page", validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)], default=1
    )

    def range_error(self) -> str | None:
        """The message when `until` comes before `since` (also put on `until`), else None.

        Checked after `validate()`: a malformed or out-of-range value is a 400, but a reversed
        range is a form a shopper can send, so the page shows it.
        """
        if not (self.since.data and self.until.data and self.until.data < self.since.data):
            return None
        self.until.errors = [*self.until.errors, REVERSED_RANGE_MESSAGE]
        return f"{self.until.label.text}: {REVERSED_RANGE_MESSAGE}"

    def first_error(self) -> str:
        for field in self:
            if field.errors:
                return f"{field.label.text}: {field.errors[0]}"
        return ""

    def query(self) -> HistoryQuery:
        """The keyword arguments of `order_history`; `until` includes its whole day."""
        return {
            "text": (self.q.data or "").strip() or None,
            "status": self.status.data or None,
            "since": _start_of(self.since.data) if self.since.data else None,
            "until": _start_of(self.until.data + timedelta(days=1)) if self.until.data else None,
            "page": self.page.data or 1,
        }

    def link_args(self) -> dict[str, str]:
        """The filters as query parameters for page links (empty ones left out)."""
        args = {
            "q": (self.q.data or "").strip(),
            "status": self.status.data or "",
            "since": self.since.data.isoformat() if self.since.data else "",
            "until": self.until.data.isoformat() if self.until.data else "",
        }
        return {key: value for key, value in args.items() if value}


class HistoryQuery(TypedDict):
    """The keyword arguments of `order_history` that the filters set."""

    text: str | None
    status: str | None
    since: datetime | None
    until: datetime | None
    page: int


class _PostForm(FlaskForm):
    class Meta:
        # CSRFProtect already checked the token (form field or X-CSRFToken header).
        csrf = False

    def first_error(self) -> str:
        return next(iter(errors[0] for errors in self.errors.values() if errors))


class CancelForm(_PostForm):
    reason = TextAreaField(
        "Why are you cancelling? (optional)",
        validators=[
            Optional(),
            Length(max=MAX_REASON, message=f"Please keep it under {MAX_REASON} characters."),
        ],
    )


class AutoRenewForm(_PostForm):
    auto_renew = SelectField(
        "Renew automatically",
        choices=[SelectChoice("on", "On"), SelectChoice("off", "Off")],
        validators=[InputRequired("Choose on or off."), AnyOf(["on", "off"])],
    )

    @property
    def wanted(self) -> bool:
        return self.auto_renew.data == "on"
