"""The order list's filters (a GET form: no CSRF token)."""

from __future__ import annotations

from wtforms import DateField, Form, SearchField, SelectField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import Length, Optional

from marketplace.admin.forms import cursor_field, query_args, within_dates
from marketplace.admin.orders.queries import OrderCursor, OrderFilters
from marketplace.vocabulary import OrderStatus

FILTER_PARAMS = ("status", "add_on", "user_id", "code", "since", "until")
STATUS_CHOICES = [
    SelectChoice("", "Any status"),
    *(SelectChoice(status.value, status.label) for status in OrderStatus),
]


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


class OrderQuery(Form):
    """`?status=&add_on=&user_id=&code=&since=&until=&after=`."""

    status = SelectField("Status", choices=STATUS_CHOICES, default="")
    add_on = SearchField("Add-on (slug)", validators=[Optional(), Length(max=255)])
    user_id = SearchField("User id", validators=[Optional(), Length(max=255)])
    code = SearchField("Order number or promo code", validators=[Optional(), Length(max=50)])
    since = DateField("From", validators=[Optional(), within_dates])
    until = DateField("To", validators=[Optional(), within_dates])
    after = cursor_field()

    def filters(self) -> OrderFilters:
        return OrderFilters(
            status=self.status.data or None,
            add_on=_text(self.add_on.data),
            user_id=_text(self.user_id.data),
            code=_text(self.code.data),
            since=self.since.data,
            until=self.until.data,
        )

    def cursor(self) -> OrderCursor | None:
        """The `after` cursor; ValueError when it is not one this list made."""
        return OrderCursor.parse(self.after.data) if self.after.data else None

    def args(self) -> dict[str, str]:
        """The filters as query parameters (for the next page's link)."""
        return query_args(self, FILTER_PARAMS)
