"""The audit page's filters (a GET form: no CSRF token)."""

from __future__ import annotations

from wtforms import DateField, Form, SearchField
from wtforms.validators import Length, Optional

from marketplace.admin.audit.queries import AuditFilters
from marketplace.admin.forms import cursor_field, query_args, within_dates
from marketplace.admin.keyset import Cursor, parse_time

FILTER_PARAMS = ("actor", "action", "object_type", "object_id", "since", "until")


class AuditQuery(Form):
    """`?actor=&action=&object_type=&object_id=&since=&until=&after=`."""

    actor = SearchField("Actor (user id)", validators=[Optional(), Length(max=255)])
    action = SearchField("Action", validators=[Optional(), Length(max=100)])
    object_type = SearchField("Object type", validators=[Optional(), Length(max=50)])
    object_id = SearchField("Object id", validators=[Optional(), Length(max=255)])
    since = DateField("From", validators=[Optional(), within_dates])
    until = DateField("To", validators=[Optional(), within_dates])
    after = cursor_field()

    def filters(self) -> AuditFilters:
        def text(value: str | None) -> str | None:
            return (value or "").strip() or None

        return AuditFilters(
            actor=text(self.actor.data),
            action=text(self.action.data),
            object_type=text(self.object_type.data),
            object_id=text(self.object_id.data),
            since=self.since.data,
            until=self.until.data,
        )

    def cursor(self) -> Cursor | None:
        """The `after` cursor; ValueError when it is not one this page made."""
        return Cursor.parse(self.after.data, parse_time, int) if self.after.data else None

    def args(self) -> dict[str, str]:
        """The filters as query parameters (for the next page's link)."""
        return query_args(self, FILTER_PARAMS)
