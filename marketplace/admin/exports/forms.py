"""Each export's filters: the query parameters of the list it belongs to (GET: no CSRF)."""

from __future__ import annotations

from typing import Any

from wtforms import DateField, Form, SearchField, SelectField
from wtforms.validators import Length, Optional, ValidationError

from marketplace.admin.exports.queries import ExportFilters
from marketplace.admin.forms import choices, query_args, within_dates
from marketplace.vocabulary import PurchaseStatus, SubscriptionStatus

PURCHASE_STATUSES = {s.value: s.value.capitalize() for s in PurchaseStatus}
SUBSCRIPTION_STATUSES = {s.value: s.value.capitalize() for s in SubscriptionStatus}


def _user_field() -> SearchField:
    return SearchField("User id", validators=[Optional(), Length(max=255)], default="")


def _add_on_field() -> SearchField:
    return SearchField("Add-on (id or slug)", validators=[Optional(), Length(max=255)], default="")


def _day_field(label: str) -> DateField:
    return DateField(label, validators=[Optional(), within_dates])


def _status_field(labels: dict[str, str]) -> SelectField:
    return SelectField("Status", choices=choices("Any status", labels), default="")


class ExportQuery(Form):
    """The filters every export has (the user), and reading whichever others a subclass adds."""

    user = _user_field()

    def filters(self) -> ExportFilters:
        def given(name: str) -> Any:
            field = self._fields.get(name)
            data = field.data if field is not None else None
            return (data.strip() or None) if isinstance(data, str) else data

        return ExportFilters(**{name: given(name) for name in ExportFilters.__dataclass_fields__})

    def args(self) -> dict[str, str]:
        """The filters as query parameters (what the audit row records)."""
        return query_args(self, tuple(self._fields))

    def validate_until(self, field: DateField) -> None:
        since = self._fields.get("since")
        if since is not None and since.data and field.data and field.data < since.data:
            raise ValidationError("The end date is before the start date.")


class PurchaseExportQuery(ExportQuery):
    """`?status=&add_on=&user=&since=&until=` of the orders list."""

    status = _status_field(PURCHASE_STATUSES)
    add_on = _add_on_field()
    since = _day_field("Purchased from")
    until = _day_field("Purchased to")


class SubscriptionExportQuery(ExportQuery):
    """`?status=&add_on=&user=` of the subscriptions list."""

    status = _status_field(SUBSCRIPTION_STATUSES)
    add_on = _add_on_field()


class CustomerExportQuery(ExportQuery):
    """`?user=&since=&until=`: customers who bought in the range (all when none)."""

    since = _day_field("Bought from")
    until = _day_field("Bought to")


class PromoExportQuery(ExportQuery):
    """`?code=&add_on=&user=&since=&until=` of a promo code's usage page."""

    code = SearchField("Code", validators=[Optional(), Length(max=50)], default="")
    add_on = _add_on_field()
    since = _day_field("Redeemed from")
    until = _day_field("Redeemed to")
