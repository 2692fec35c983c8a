"""What every template may use: filters and context, registered once by `create_app`.

Blueprints render; they do not extend the template language. Money reads the same everywhere
(`format_money`), and billing types and categories speak the shop's one vocabulary.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Flask
from markupsafe import Markup

from marketplace.catalog import icons
from marketplace.catalog.facts import humanise
from marketplace.catalog.forms import CATEGORY_LABELS
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


def percent(value: Decimal) -> str:
    """A percentage without trailing zeros: "15%", "12.5%"."""
    return f"{value.normalize():f}%"


def table_cell(value: object, unit: str) -> str:
    """One cell of a report's table, formatted by its column's unit (a filter, not a macro: a
    two-year analytics page has thousands of cells, and a macro call costs each several µs)."""
    if value is None:
        return "—"
    if unit == "money":
        return format_money(value)  # type: ignore[arg-type]
    if unit == "ratio":
        return f"{round(value * 100, 2)}%"  # type: ignore[operator]
    if unit == "percent":
        return percent(value)  # type: ignore[arg-type]
    if unit == "date":
        return value.strftime("%Y-%m-%d")  # type: ignore[attr-defined]
    return str(value)


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category.replace("-", " ").title())


FILTERS = {
    "money": format_money,
    "percent": percent,
    "cell": table_cell,
    "billing_suffix": billing_suffix,
    "billing_label": billing_label,
    "order_status_label": order_status_label,
    "category_label": category_label,
    "feature_label": humanise,
}


def storefront_context() -> dict[str, object]:
    """Give every template the shopper (header sign-in state, product page prices)."""
    return {"shopper": current_shopper()}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals["MAX_QUANTITY"] = MAX_QUANTITY
    app.jinja_env.globals["icon_body"] = lambda name: Markup(icons.icon_body(name))
    app.jinja_env.globals["add_on_icon_name"] = icons.add_on_icon
    app.jinja_env.globals["BUNDLE_ICON"] = icons.BUNDLE
    app.context_processor(storefront_context)
