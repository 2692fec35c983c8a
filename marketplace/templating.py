"""What every template may use: filters and context, registered once by `create_app`.

Blueprints render; they do not extend the template language. Money reads the same everywhere
(`format_money`), and billing types and categories speak the shop's one vocabulary.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from marketplace.catalog.forms import CATEGORY_LABELS
from marketplace.catalog.queries import feature_label
from marketplace.current import current_shopper
from marketplace.pricing.models import MAX_QUANTITY
from marketplace.pricing.money import format_money
from marketplace.vocabulary import BillingType, OrderStatus


def billing_suffix(billing_type: str) -> str:
    """Right after a price: "/mo"."""
    return BillingType(billing_type).suffix


def billing_label(billing_type: str) -> str:
    """After a price in a sentence: "per month"."""
    return BillingType(billing_type).phrase


def order_status_label(status: str) -> str:
    """An order's status for people: "Partially refunded"."""
    return OrderStatus(status).label


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category.replace("-", " ").title())


def fact(value: Any) -> str:
    """Show a metadata or configuration value: True → "Yes", 1000000 → "1,000,000", lists joined."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(fact(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{feature_label(str(k))}: {fact(v)}" for k, v in value.items())
    return "—" if value is None else str(value)


FILTERS = {
    "money": format_money,
    "billing_suffix": billing_suffix,
    "billing_label": billing_label,
    "order_status_label": order_status_label,
    "category_label": category_label,
    "feature_label": feature_label,
    "fact": fact,
}


def storefront_context() -> dict[str, object]:
    """Give every template the shopper (header sign-in state, product page prices)."""
    return {"shopper": current_shopper()}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals["MAX_QUANTITY"] = MAX_QUANTITY
    app.context_processor(storefront_context)
