"""The operations pages' filters (GET forms: no CSRF token) and the retry form."""

from __future__ import annotations

import uuid

from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, SearchField, SelectField

# types-WTForms 3.2 predates WTForms 3.3, where `SelectChoice` replaced choice tuples.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import Length, Optional

from marketplace.admin.forms import NoFormToken, choices, cursor_field, query_args
from marketplace.admin.keyset import Cursor, parse_time
from marketplace.admin.operations.queries import KINDS, STATUSES, OutboxFilters


class PagedQuery(Form):
    """A keyset-paged list's `?after=` and the filters its links keep."""

    PARAMS: tuple[str, ...] = ()
    ROW_ID: type = uuid.UUID  # what the list's ids are
    after = cursor_field()

    def cursor(self) -> Cursor | None:
        """The `after` cursor; ValueError when this list did not make it."""
        return Cursor.parse(self.after.data, parse_time, self.ROW_ID) if self.after.data else None

    def args(self) -> dict[str, str]:
        return query_args(self, self.PARAMS)


class OutboxQuery(PagedQuery):
    """`?kind=&status=&after=` of the billing outbox."""

    PARAMS = ("kind", "status")
    kind = SelectField("Kind", choices=choices("Any kind", {k: k for k in KINDS}), default="")
    status = SelectField(
        "Entries", choices=[SelectChoice(k, v) for k, v in STATUSES.items()], default="pending"
    )

    def filters(self) -> OutboxFilters:
        return OutboxFilters(kind=self.kind.data or None, status=self.status.data or "pending")


class EventsQuery(PagedQuery):
    """`?type=&after=` of the Stripe events."""

    PARAMS = ("type",)
    ROW_ID = str  # Stripe's event ids
    type = SearchField("Event type", validators=[Optional(), Length(max=100)], default="")

    def event_type(self) -> str | None:
        return (self.type.data or "").strip() or None


class RetryForm(FlaskForm):
    """ "Retry now" on one entry; `back` is the list it was pressed on."""

    Meta = NoFormToken

    back = HiddenField()
