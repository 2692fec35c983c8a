"""The admin area's areas and who may open them: the one table the access guard and the menus
read, so a menu never offers a page that would answer 403."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.vocabulary import Role

ADMIN_ONLY = frozenset({Role.ADMIN})
STAFF = frozenset({Role.ADMIN, Role.SUPPORT})
# Support staff may only read; every other method is an admin's (marketplace/admin/access.py).
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Area:
    """One part of the admin area: its sub-blueprint's name, menu label, entry page, roles."""

    key: str
    label: str
    endpoint: str
    roles: frozenset[Role]
    description: str
    # False for a part of an area (an export) that its own page lists, not the menu.
    in_menu: bool = True


AREAS = (
    Area("dashboard", "Overview", "admin.index", STAFF, "What you can open here."),
    Area(
        "catalog",
        "Add-ons",
        "admin.catalog.add_ons",
        ADMIN_ONLY,
        "Create, edit, price, feature and (de)activate add-ons.",
    ),
    Area("bundles", "Bundles", "admin.bundles.index", ADMIN_ONLY, "Bundles and their prices."),
    Area("pricing", "Pricing rules", "admin.pricing.index", ADMIN_ONLY, "Tier pricing rules."),
    Area("promos", "Promo codes", "admin.promos.index", ADMIN_ONLY, "Promo codes and usage."),
    Area("orders", "Orders", "admin.orders.index", STAFF, "Orders, payments and refunds."),
    Area(
        "subscriptions",
        "Subscriptions",
        "admin.subscriptions.index",
        ADMIN_ONLY,
        "Shoppers' subscriptions.",
    ),
    Area("customers", "Customers", "admin.customers.index", STAFF, "One page per customer."),
    Area(
        "operations",
        "Operations",
        "admin.operations.index",
        ADMIN_ONLY,
        "Billing outbox and Stripe events.",
    ),
    Area(
        "webhooks",
        "Webhooks",
        "admin.webhooks.index",
        ADMIN_ONLY,
        "Endpoints that receive signed events, their secrets and delivery logs.",
    ),
    Area(
        "audit",
        "Audit log",
        "admin.audit.index",
        STAFF,
        "Who changed what in the admin area, and when.",
    ),
    Area(
        "analytics",
        "Analytics",
        "admin.analytics.index",
        STAFF,
        "MRR, churn, revenue, promo codes, bundles and the purchase funnel.",
    ),
    Area("exports", "Exports", "admin.exports.index", STAFF, "CSV downloads of the records."),
    # Each export is open to the roles of the area whose records it holds: support may view
    # orders and customers, so it may take them out; subscriptions and promo codes are admins'.
    Area(
        "exports.purchases",
        "Purchases and orders",
        "admin.exports.purchases.download",
        STAFF,
        "Every purchase line with its order number, add-on, amounts, promo code and refund.",
        in_menu=False,
    ),
    Area(
        "exports.subscriptions",
        "Subscriptions",
        "admin.exports.subscriptions.download",
        ADMIN_ONLY,
        "Every subscription: holder, add-on, status, dates, renewal, billing references.",
        in_menu=False,
    ),
    Area(
        "exports.customers",
        "Customers",
        "admin.exports.customers.download",
        STAFF,
        "One row per user with purchases or subscriptions: e-mail, first and last purchase, "
        "totals.",
        in_menu=False,
    ),
    Area(
        "exports.promo_redemptions",
        "Promo redemptions",
        "admin.exports.promo_redemptions.download",
        ADMIN_ONLY,
        "Every purchase line a promo code discounted: code, user, order, discount, date.",
        in_menu=False,
    ),
)
BY_KEY = {area.key: area for area in AREAS}


def area_of(blueprint: str | None) -> Area | None:
    """The most specific area declared for a request's blueprint (`admin`, `admin.catalog`,
    `admin.exports.customers`…): a sub-blueprint may narrow its parent's roles."""
    if blueprint == "admin":
        return BY_KEY["dashboard"]
    prefix, _, path = (blueprint or "").partition(".")
    if prefix != "admin":
        return None
    parts = path.split(".")
    for length in range(len(parts), 0, -1):
        if found := BY_KEY.get(".".join(parts[:length])):
            return found
    return None


def may_open(area: Area | None, role: Role) -> bool:
    """May `role` open `area`? An undeclared area is for admins alone."""
    return role in (area.roles if area else ADMIN_ONLY)


def may_change(role: Role, method: str) -> bool:
    """May `role` send a request with `method` to the admin area? Support only reads."""
    return method in READ_METHODS or role is Role.ADMIN


def areas_for(role: Role, endpoints: set[str] | frozenset[str]) -> list[Area]:
    """The menu: the areas `role` may open whose entry page exists (is among `endpoints`)."""
    return [a for a in AREAS if a.in_menu and role in a.roles and a.endpoint in endpoints]


def parts_for(role: Role, parent: str) -> list[Area]:
    """The parts of area `parent` (`exports`) that `role` may open."""
    return [a for a in AREAS if a.key.startswith(f"{parent}.") and role in a.roles]
