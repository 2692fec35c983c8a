"""Catalog pages: `/` (grid, or its results partial for htmx) and `/add-ons/<slug>`."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from marketplace.catalog.forms import CATEGORY_LABELS, SORT_LABELS, CatalogQuery
from marketplace.catalog.queries import catalog_page, feature_label, product_page
from marketplace.extensions import db
from marketplace.rendering import render
from marketplace.shopper import current_shopper

bp = Blueprint("catalog", __name__)

BILLING_SUFFIXES = {"monthly": "/mo", "annual": "/yr", "usage_based": "/mo + usage"}
BILLING_LABELS = {
    "monthly": "per month",
    "annual": "per year",
    "one_time": "one-time payment",
    "usage_based": "usage-based",
}


@bp.app_context_processor
def storefront_context() -> dict[str, object]:
    """Give every template the shopper (header sign-in state, product page prices)."""
    return {"shopper": current_shopper()}


@bp.app_template_global()
def has_endpoint(endpoint: str) -> bool:
    """Whether a blueprint that ships separately (cart, auth) provides `endpoint` yet."""
    return endpoint in current_app.view_functions


@bp.app_template_filter("money")
def money(amount) -> str:
    """Format a Decimal amount of dollars: 1234.5 → "$1,234.50"."""
    return f"${amount:,.2f}"


@bp.app_template_filter("billing_suffix")
def billing_suffix(billing_type: str) -> str:
    return BILLING_SUFFIXES.get(billing_type, "")


@bp.app_template_filter("billing_label")
def billing_label(billing_type: str) -> str:
    return BILLING_LABELS.get(billing_type, billing_type.replace("_", " "))


@bp.app_template_filter("category_label")
def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category.replace("-", " ").title())


bp.add_app_template_filter(feature_label, "feature_label")


@bp.app_template_filter("fact")
def fact(value) -> str:
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


@bp.get("/")
def index():
    form = CatalogQuery(request.args)
    if not form.validate():
        abort(400, description=form.first_error())
    filters = form.filters()
    results = catalog_page(db.session, **filters)
    if not results.add_ons and filters["page"] != 1:
        abort(404, description=f"There is no page {filters['page']} of these results.")
    return render(
        "catalog/index.html",
        "catalog/_results.html",
        form=form,
        filters=filters,
        results=results,
        sort_labels=SORT_LABELS,
    )


@bp.get("/add-ons/<slug>")
def product(slug: str):
    page = product_page(db.session, slug, current_shopper())
    if page is None:
        abort(404, description="This add-on does not exist or is no longer available.")
    return render_template("catalog/product.html", page=page)
