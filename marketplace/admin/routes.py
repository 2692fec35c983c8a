"""The admin blueprint at `/admin`: the access guard for every area, and the overview page."""

from __future__ import annotations

from flask import Blueprint, render_template

from marketplace.admin import access
from marketplace.admin.analytics.routes import bp as analytics
from marketplace.admin.audit.routes import bp as audit
from marketplace.admin.bundles.routes import bp as bundles
from marketplace.admin.catalog.routes import bp as catalog
from marketplace.admin.customers.routes import bp as customers
from marketplace.admin.exports.routes import bp as exports
from marketplace.admin.operations.routes import bp as operations
from marketplace.admin.orders.routes import bp as orders
from marketplace.admin.pricing.routes import bp as pricing
from marketplace.admin.promos.routes import bp as promos
from marketplace.admin.subscriptions.routes import bp as subscriptions
from marketplace.admin.webhooks.routes import bp as webhooks

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(access.guard)
bp.after_request(access.no_store)
bp.context_processor(access.menu)
AREAS = (
    catalog,
    bundles,
    pricing,
    promos,
    orders,
    subscriptions,
    customers,
    operations,
    webhooks,
    exports,
    audit,
    analytics,
)
for area in AREAS:
    bp.register_blueprint(area)


@bp.get("/")
def index():
    """List the areas this user may open."""
    return render_template("admin/index.html")
