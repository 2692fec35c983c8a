"""What every part of the API shares: money, timestamps, problems, cursor pages.

Money is `{"amount": "12.50", "currency": "USD"}`: a decimal string, never a float.
Timestamps are RFC 3339 in UTC (`2026-11-26T04:00:00Z`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.account.forms import DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE
from marketplace.pricing.money import CATALOG_CURRENCY, round_money

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


class Strict(ma.Schema):
    """Refuses unknown fields (marshmallow's default, said once here for every schema)."""

    class Meta:
        unknown = ma.RAISE


class DecimalString(fields.Decimal):
    """A decimal as a string ("12.50"), documented as one: never a float on the wire. A
    request's must be a string matching the documented pattern (no JSON number, no exponent)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", **kwargs.pop("metadata", {})}
        super().__init__(as_string=True, metadata=metadata, **kwargs)
        self.pattern = re.compile(metadata["pattern"])

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str) or not self.pattern.fullmatch(value):
            raise ma.ValidationError('Send a decimal string such as "12.50".')
        return super()._deserialize(value, attr, data, **kwargs)


class MoneySchema(Strict):
    amount = DecimalString(
        required=True, metadata={"description": "A decimal string, two places", "example": "12.50"}
    )
    currency = fields.String(required=True, metadata={"example": "USD"})


def money(amount: Decimal, currency: str = CATALOG_CURRENCY) -> dict[str, Any]:
    """An amount as the API shows it, rounded to the cent."""
    return {"amount": round_money(Decimal(amount)), "currency": currency}


class Timestamp(fields.DateTime):
    """An RFC 3339 UTC timestamp: `2026-11-26T04:00:00Z` (stored times are aware)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        moment = value.astimezone(UTC) if isinstance(value, datetime) else value
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class TimestampArg(fields.AwareDateTime):
    """A time in a request: RFC 3339 (without an offset: UTC), in the years every form takes;
    loaded as UTC."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"example": "2027-01-31T12:00:00Z", **kwargs.pop("metadata", {})}
        super().__init__(default_timezone=UTC, metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_DATE <= moment.date() <= LATEST_DATE:
            raise ma.ValidationError(DATE_RANGE_MESSAGE)
        return moment.astimezone(UTC)


class ProblemSchema(ma.Schema):
    """An error (RFC 9457), `application/problem+json`."""

    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={"example": "Not Found"})
    status = fields.Integer(required=True, metadata={"example": 404})
    detail = fields.String(required=True, metadata={"example": "There is no such add-on."})
    instance = fields.String(required=True, metadata={"example": "/api/v1/add-ons/nope"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={
            "description": "Per field (dotted path), what is wrong with it",
            "example": {
                "limit": ["Must be greater than or equal to 1 and less than or equal to 100."]
            },
        },
    )


class PageArgs(Strict):
    """`?limit=&cursor=` of every list."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page, 1 to {MAX_LIMIT}"},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=512),
        metadata={"description": "The `next_cursor` of the previous page (opaque)"},
    )


class PageSchema(ma.Schema):
    """The envelope of every list: its `items` and the cursor of the next page (null at the end)."""

    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as `cursor`; null: last page"},
    )
