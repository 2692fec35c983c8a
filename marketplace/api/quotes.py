"""A priced quote as the API shows it: the engine's Quote, line by line and per period — the
same numbers the cart page shows (marketplace/quoting.py prices both)."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from marketplace import pricing
from marketplace.api.schemas import MoneySchema, Strict, money


class LineSchema(Strict):
    add_on_id = fields.UUID(required=True)
    name = fields.String(required=True)
    billing_type = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit_price = fields.Nested(MoneySchema, required=True)
    subtotal = fields.Nested(MoneySchema, required=True)
    tier_discount = fields.Nested(MoneySchema, required=True)
    bundle_discount = fields.Nested(MoneySchema, required=True)
    promo_discount = fields.Nested(MoneySchema, required=True)
    due_today = fields.Nested(MoneySchema, required=True)


class PeriodSchema(Strict):
    billing_type = fields.String(required=True)
    due_today = fields.Nested(MoneySchema, required=True)
    renewal = fields.Nested(
        MoneySchema, required=True, allow_none=True, metadata={"description": "null: one-time"}
    )


class PromoSchema(Strict):
    code = fields.String(required=True, allow_none=True)
    applied = fields.Boolean(required=True)
    discount = fields.Nested(MoneySchema, required=True)
    message = fields.String(
        required=True, allow_none=True, metadata={"description": "Why it did not apply"}
    )


class QuoteSchema(Strict):
    lines = fields.List(fields.Nested(LineSchema), required=True)
    periods = fields.List(fields.Nested(PeriodSchema), required=True)
    subtotal = fields.Nested(MoneySchema, required=True)
    tier_discount = fields.Nested(MoneySchema, required=True)
    bundle_discount = fields.Nested(MoneySchema, required=True)
    promo_discount = fields.Nested(MoneySchema, required=True)
    due_today = fields.Nested(MoneySchema, required=True)
    promo = fields.Nested(PromoSchema, required=True)


def quote_body(quote: pricing.Quote, promo_code: str | None) -> dict[str, Any]:
    """`quote` for the QuoteSchema; `promo_code` is what was asked for (None: nothing)."""
    rejection = quote.promo_rejection
    return {
        "lines": [
            {
                "add_on_id": line.add_on_id,
                "name": line.name,
                "billing_type": line.billing_type,
                "quantity": line.quantity,
                "unit_price": money(line.unit_price),
                "subtotal": money(line.subtotal),
                "tier_discount": money(line.tier_discount),
                "bundle_discount": money(line.bundle_discount),
                "promo_discount": money(line.promo_discount),
                "due_today": money(line.due_today),
            }
            for line in quote.lines
        ],
        "periods": [
            {
                "billing_type": period.billing_type,
                "due_today": money(period.due_today),
                "renewal": None if period.renewal is None else money(period.renewal),
            }
            for period in quote.periods
        ],
        "subtotal": money(quote.subtotal),
        "tier_discount": money(quote.tier_discount),
        "bundle_discount": money(quote.bundle_discount),
        "promo_discount": money(quote.promo_discount),
        "due_today": money(quote.due_today),
        "promo": {
            "code": promo_code,
            "applied": quote.promo is not None,
            "discount": money(quote.promo.discount if quote.promo else quote.promo_discount),
            "message": rejection.message if rejection else None,
        },
    }
