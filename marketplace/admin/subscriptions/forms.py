"""Subscription admin forms: the list's filters (GET), the changes of one subscription (each
with its edit token and an optional reason), and the complimentary grant."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    Form,
    HiddenField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from marketplace.account.forms import DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE
from marketplace.admin.forms import (
    DATETIME_FORMAT,
    NoFormToken,
    choices,
    cursor_field,
    query_args,
    utc,
)
from marketplace.admin.keyset import Cursor, parse_time
from marketplace.admin.subscriptions.queries import SubscriptionFilters
from marketplace.vocabulary import SubscriptionStatus

LIST_PARAMS = ("q", "add_on", "status")
STATUS_LABELS = {status.value: status.value.capitalize() for status in SubscriptionStatus}
MAX_REASON = 500
WHEN_MESSAGE = "Enter a date and time (UTC), e.g. 2027-01-31T12:00."


class SubscriptionQuery(Form):
    """`?q=&add_on=&status=&after=` of the subscription list."""

    q = SearchField("User id, or e-mail (beginning)", validators=[Optional(), Length(max=255)])
    add_on = SelectField("Add-on", choices=[], default="")
    status = SelectField("Status", choices=choices("Any status", STATUS_LABELS), default="")
    after = cursor_field()

    def with_add_ons(self, add_ons: list[tuple[uuid.UUID, str]]) -> SubscriptionQuery:
        """Offer `add_ons` (id, label) in the add-on filter."""
        self.add_on.choices = choices("Any add-on", {str(k): v for k, v in add_ons})
        return self

    def filters(self) -> SubscriptionFilters:
        return SubscriptionFilters(
            holder=(self.q.data or "").strip() or None,
            add_on_id=uuid.UUID(self.add_on.data) if self.add_on.data else None,
            status=self.status.data or None,
        )

    def cursor(self) -> Cursor | None:
        """The `after` cursor; ValueError when it is not one this list made."""
        return Cursor.parse(self.after.data, parse_time) if self.after.data else None

    def args(self) -> dict[str, str]:
        """The filters as query parameters (for the next page's link)."""
        return query_args(self, LIST_PARAMS)


class WhenField(DateTimeLocalField):
    """A date and time whose unreadable value gets the message saying what to type."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(WHEN_MESSAGE) from None


def when_field(label: str) -> WhenField:
    """A required date and time, entered in UTC."""
    return WhenField(
        label,
        format=DATETIME_FORMAT,
        validators=[InputRequired(WHEN_MESSAGE), _plausible],
        render_kw={"step": 60},
    )


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _plausible(form: Form, field: DateTimeLocalField) -> None:
    if field.data is not None and not EARLIEST_DATE <= field.data.date() <= LATEST_DATE:
        raise ValidationError(DATE_RANGE_MESSAGE)


class ChangeForm(FlaskForm):
    """A change of one subscription: the page's edit token and, optionally, why."""

    Meta = NoFormToken

    token = HiddenField(validators=[InputRequired("Reload the page and try again.")])
    reason = TextAreaField(
        "Reason (optional)",
        validators=[Optional(), Length(max=MAX_REASON)],
        description="Kept in the audit log.",
    )


class ExtendForm(ChangeForm):
    """Move a subscription's end later."""

    expires_at = when_field("New expiry (UTC)")

    def when(self) -> datetime:
        moment = utc(self.expires_at.data)
        assert moment is not None  # InputRequired
        return moment


class GrantForm(FlaskForm):
    """Give a user an add-on free until a chosen time, saying why."""

    Meta = NoFormToken

    user_id = StringField(
        "User id",
        filters=[_stripped],
        validators=[DataRequired("Enter the user id."), Length(max=255)],
    )
    add_on_id = SelectField("Add-on", choices=[], validators=[InputRequired("Choose an add-on.")])
    expires_at = when_field("Free until (UTC)")
    reason = TextAreaField(
        "Reason",
        filters=[_stripped],
        validators=[
            DataRequired("Say why (the audit log and the order keep it)."),
            Length(max=MAX_REASON),
        ],
    )

    def with_add_ons(self, add_ons: list[tuple[uuid.UUID, str]]) -> GrantForm:
        """Offer `add_ons` (id, label) to choose from."""
        self.add_on_id.choices = choices("Choose an add-on", {str(k): v for k, v in add_ons})
        return self

    def when(self) -> datetime:
        moment = utc(self.expires_at.data)
        assert moment is not None  # InputRequired
        return moment
