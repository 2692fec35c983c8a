"""The public catalog: add-ons (filtered, searched, sorted, paged), one add-on, categories,
bundles and price quotes — the storefront's own queries (marketplace/catalog, bundles, quoting).

The add-on list's cursor is an offset, wrapped opaque: its "featured" order under a search is
by match class (`search_rank`), which has no column to resume after, and the storefront pages
the same way (its deepest page is far inside what an offset reads fast).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, json, request
from marshmallow import Schema, fields, validate

from marketplace.api import caching, paging
from marketplace.api.operations import blueprint, documented
from marketplace.api.problems import or_404, refuse
from marketplace.api.quotes import QuoteSchema, quote_body
from marketplace.api.schemas import MoneySchema, PageArgs, PageSchema, Strict, Timestamp, money
from marketplace.bundles.queries import PricedBundle, live_bundles
from marketplace.catalog.cache import catalog_cache, current_version
from marketplace.catalog.forms import CATEGORY_LABELS
from marketplace.catalog.queries import SORTS, active_add_on, catalog_page, product_page
from marketplace.catalog.version import catalog_version
from marketplace.extensions import db
from marketplace.models import AddOn
from marketplace.models.cart import MAX_QUANTITY
from marketplace.models.catalog import CATEGORIES
from marketplace.quoting import quote_add_ons
from marketplace.shopper import Shopper
from marketplace.vocabulary import BillingType

MAX_OFFSET = 100_000
MAX_QUERY = 200
MAX_TIER = 50
MAX_QUOTE_ITEMS = 50

blp = blueprint("Catalog", "The public catalog: no token needed.", guard=None)


class AddOnListArgs(PageArgs):
    q = fields.String(
        load_default="",
        validate=validate.Length(max=MAX_QUERY),
        metadata={"description": "Search words (name, summary, features, description)"},
    )
    category = fields.String(load_default=None, validate=validate.OneOf(CATEGORIES))
    sort = fields.String(
        load_default="featured",
        validate=validate.OneOf(tuple(SORTS)),
        metadata={"description": "featured (best match when searching), price_asc, …"},
    )


class AddOnSchema(Strict):
    id = fields.UUID(required=True)
    slug = fields.String(required=True, metadata={"example": "neural-voices"})
    name = fields.String(required=True, metadata={"example": "Neural Voices"})
    description = fields.String(required=True, allow_none=True)
    category = fields.String(required=True, metadata={"example": "ai-services"})
    price = fields.Nested(MoneySchema, required=True, metadata={"description": "Base price"})
    billing_type = fields.String(required=True, metadata={"example": "monthly"})
    key_features = fields.List(fields.String(), required=True)
    updated_at = Timestamp(required=True)


class AddOnPageSchema(PageSchema):
    items = fields.List(fields.Nested(AddOnSchema), required=True)
    total = fields.Integer(required=True, metadata={"description": "Matches in all"})


class FactSchema(Strict):
    label = fields.String(required=True)
    value = fields.String(required=True)


class FeatureSchema(Strict):
    key = fields.String(required=True)
    name = fields.String(required=True)
    facts = fields.List(fields.Nested(FactSchema), required=True)


class BundleSchema(Strict):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    add_on_slugs = fields.List(fields.String(), required=True)
    billing_type = fields.String(required=True, allow_none=True)
    original_price = fields.Nested(MoneySchema, required=True)
    price = fields.Nested(MoneySchema, required=True)
    saving = fields.Nested(MoneySchema, required=True)
    valid_until = Timestamp(required=True, allow_none=True)


class AddOnDetailSchema(AddOnSchema):
    tier = fields.String(required=True, allow_none=True)
    tier_price = fields.Nested(
        MoneySchema, required=True, metadata={"description": "One unit for `tier`, per period"}
    )
    tier_discount = fields.Nested(MoneySchema, required=True)
    features = fields.List(fields.Nested(FeatureSchema), required=True)
    more_facts = fields.List(fields.Nested(FactSchema), required=True)
    bundles = fields.List(fields.Nested(BundleSchema), required=True)


class TierArgs(Strict):
    tier = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=MAX_TIER),
        metadata={"description": "Price for shoppers on this subscription tier"},
    )


class CategorySchema(Strict):
    key = fields.String(required=True, metadata={"example": "ai-services"})
    label = fields.String(required=True, metadata={"example": "AI Services"})


class CategoryListSchema(Strict):
    items = fields.List(fields.Nested(CategorySchema), required=True)


class BundlePageSchema(PageSchema):
    items = fields.List(fields.Nested(BundleSchema), required=True)


def add_on_body(add_on: AddOn, key_features: list[str]) -> dict[str, Any]:
    return {
        "id": add_on.id,
        "slug": add_on.slug,
        "name": add_on.name,
        "description": add_on.description,
        "category": add_on.category,
        "price": money(add_on.base_price),
        "billing_type": BillingType(add_on.billing_type).value,
        "key_features": key_features,
        "updated_at": add_on.updated_at,
    }


def bundle_body(priced: PricedBundle) -> dict[str, Any]:
    bundle = priced.bundle
    return {
        "id": bundle.id,
        "name": bundle.name,
        "description": bundle.description,
        "add_on_slugs": [add_on.slug for add_on in priced.add_ons],
        "billing_type": priced.billing_type,
        "original_price": money(priced.original),
        "price": money(priced.price),
        "saving": money(priced.saving),
        "valid_until": bundle.valid_until,
    }


def cached(schema: type[Schema], build: Callable[[], dict[str, Any]]) -> Response:
    """The 304 when the client's copy is current; else the JSON of `build()` dumped by `schema`
    (from the catalog cache, as the storefront's pages are), with its ETag and Cache-Control.

    Both are keyed by the catalog version and the URL asked, so any catalog change makes a new
    tag and a new body; with the cache off (`CATALOG_CACHE_SECONDS=0`) the version is read. The
    cache holds the JSON itself: a hit neither queries nor serialises.
    """
    version = current_version() or catalog_version(db.session())
    tag = caching.tag_of("catalog", version, request.full_path)
    unchanged = caching.not_modified(tag, caching.PUBLIC_CATALOG)
    if unchanged is not None:
        return unchanged
    body = catalog_cache().get_or_create(
        ("api", version, request.full_path), lambda: json.dumps(schema().dump(build()))
    )
    assert isinstance(body, str)  # "api" keys hold JSON only
    response = Response(body, mimetype="application/json")
    response.headers.update(caching.headers(tag, caching.PUBLIC_CATALOG))
    return response


@blp.get("/add-ons")
@blp.arguments(AddOnListArgs, location="query")
@blp.response(200, AddOnPageSchema)
@documented(blp, security=None, errors=(304, 422))
def list_add_ons(args: dict[str, Any]):
    """Active add-ons: searched (`q`), filtered by `category`, sorted, a page at a time."""
    start = paging.decode(args["cursor"], paging.offset) if args["cursor"] else 0
    if start > MAX_OFFSET:
        refuse(400, message="The cursor is too far in.", errors={"cursor": ["Start again."]})

    def build() -> dict[str, Any]:
        page = catalog_page(
            db.session(),
            category=args["category"],
            q=args["q"].strip(),
            sort=args["sort"],
            page_size=args["limit"],
            offset=start,
        )
        end = start + len(page.add_ons)
        return {
            "items": [add_on_body(a, page.key_features.get(a.id, [])) for a in page.add_ons],
            "total": page.total,
            "next_cursor": paging.encode(str(end)) if end < page.total else None,
        }

    return cached(AddOnPageSchema, build)


@blp.get("/add-ons/<slug>")
@blp.arguments(TierArgs, location="query")
@blp.response(200, AddOnDetailSchema)
@documented(blp, security=None, errors=(304, 404, 422))
def get_add_on(args: dict[str, Any], slug: str):
    """One active add-on: its features, the bundles it is in, and its price for a `tier`."""

    def build() -> dict[str, Any]:
        page = or_404(
            product_page(db.session(), slug, args["tier"]),
            "This add-on does not exist or is no longer available.",
        )
        return {
            **add_on_body(page.add_on, [feature.name for feature in page.facts.features]),
            "tier": args["tier"],
            "tier_price": money(page.shopper_price.amount),
            "tier_discount": money(page.shopper_price.discount),
            "features": [
                {"key": f.key, "name": f.name, "facts": [vars(fact) for fact in f.facts]}
                for f in page.facts.features
            ],
            "more_facts": [vars(fact) for fact in page.facts.more],
            "bundles": [bundle_body(bundle) for bundle in page.bundles],
        }

    return cached(AddOnDetailSchema, build)


@blp.get("/categories")
@blp.response(200, CategoryListSchema)
@documented(blp, security=None, errors=(304,))
def list_categories():
    """Every category, in the storefront's order (a short fixed list: one page)."""
    return cached(
        CategoryListSchema,
        lambda: {"items": [{"key": key, "label": CATEGORY_LABELS[key]} for key in CATEGORIES]},
    )


@blp.get("/bundles")
@blp.arguments(PageArgs, location="query")
@blp.response(200, BundlePageSchema)
@documented(blp, security=None, errors=(304, 422))
def list_bundles(args: dict[str, Any]):
    """Live bundles whose add-ons are all on sale, featured first, with their prices."""
    start = paging.decode(args["cursor"], paging.offset) if args["cursor"] else 0

    def build() -> dict[str, Any]:
        bundles = live_bundles(db.session())
        end = start + args["limit"]
        return {
            "items": [bundle_body(bundle) for bundle in bundles[start:end]],
            "next_cursor": paging.encode(str(end)) if end < len(bundles) else None,
        }

    return cached(BundlePageSchema, build)


class QuoteItemArgs(Strict):
    slug = fields.String(required=True, validate=validate.Length(min=1, max=255))
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_QUANTITY))


class QuoteArgs(Strict):
    items = fields.List(
        fields.Nested(QuoteItemArgs),
        required=True,
        validate=validate.Length(min=1, max=MAX_QUOTE_ITEMS),
        metadata={"example": [{"slug": "neural-voices", "quantity": 1}]},
    )
    tier = fields.String(load_default=None, validate=validate.Length(min=1, max=MAX_TIER))
    promo_code = fields.String(load_default=None, validate=validate.Length(min=1, max=50))


@blp.post("/quotes")
@blp.arguments(QuoteArgs)
@blp.response(200, QuoteSchema)
@documented(blp, security=None, errors=(404, 415, 422))
def create_quote(args: dict[str, Any]):
    """Price add-ons for a `tier` (tier rules, bundles and a promo code), as the cart would."""
    session = db.session()
    items = []
    for index, item in enumerate(args["items"]):
        add_on = active_add_on(session, item["slug"])
        if add_on is None:
            refuse(
                404,
                message=f"There is no add-on {item['slug']!r} on sale.",
                errors={f"items.{index}.slug": ["No add-on on sale has this slug."]},
            )
        items.append((add_on, item["quantity"]))
    shopper = Shopper.anonymous(tier=args["tier"])
    quote = quote_add_ons(session, shopper, items, promo_code=args["promo_code"])
    return quote_body(quote, args["promo_code"])
