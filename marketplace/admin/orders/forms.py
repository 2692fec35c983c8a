"""The order list's filters (a GET form: no CSRF token) and the refund form."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    Form,
    HiddenField,
    SearchField,
    SelectField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from marketplace.admin.forms import (
    MAX_AMOUNT,
    NoFormToken,
    cents,
    cursor_field,
    query_args,
    within_dates,
)
from marketplace.admin.orders.queries import OrderCursor, OrderFilters
from marketplace.admin.orders.refunds import RefundRequest
from marketplace.models import AddOnPurchase
from marketplace.pricing.money import format_money
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


ORDER_SCOPE = ""  # the line choice "the whole order"
MAX_REASON = 500


class RefundForm(FlaskForm):
    """A refund: the whole order or one line, an amount (blank: all that is left), a reason,
    whether to cancel the subscriptions too; `state` is the page's refund state, `confirmed`
    set by the confirm step."""

    Meta = NoFormToken

    line = SelectField("Refund", validate_choice=False)
    amount = DecimalField(
        "Amount (blank: everything left)",
        places=2,
        validators=[
            Optional(),
            NumberRange(min=Decimal("0.01"), max=MAX_AMOUNT, message="Enter at least 0.01."),
        ],
    )
    reason = TextAreaField(
        "Reason (the shopper reads it)",
        validators=[
            InputRequired("Say why: the shopper's e-mail and receipt show it."),
            Length(max=MAX_REASON),
        ],
    )
    cancel_subscriptions = BooleanField("Also cancel the subscription (billing stops now)")
    state = HiddenField(validators=[InputRequired(), Length(max=64)])
    confirmed = HiddenField()
    offered: set[str] = {ORDER_SCOPE}  # `with_lines` sets the line choices

    def with_lines(self, lines: Sequence[AddOnPurchase], left: Mapping[uuid.UUID, Decimal]):
        """Offer the whole order and each line that has something left to refund."""
        offered = [line for line in lines if left.get(line.id, 0) > 0]
        self.offered = {ORDER_SCOPE, *(str(line.id) for line in offered)}
        self.line.choices = [
            SelectChoice(ORDER_SCOPE, "The whole order (spread over its lines)"),
            *(
                SelectChoice(
                    str(line.id),
                    f"{line.add_on.name} — {format_money(left[line.id], line.currency)} left",
                )
                for line in offered
            ),
        ]
        return self

    def validate_line(self, field: SelectField) -> None:
        if (field.data or ORDER_SCOPE) not in self.offered:
            raise ValidationError("Choose the whole order or a line with something left.")

    def request(self) -> RefundRequest:
        return RefundRequest(
            line_id=uuid.UUID(self.line.data) if self.line.data else None,
            amount=cents(self.amount.data),
            reason=(self.reason.data or "").strip(),
            cancel_subscriptions=bool(self.cancel_subscriptions.data),
            state=self.state.data or "",
        )
