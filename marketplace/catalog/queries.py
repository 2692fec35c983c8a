"""Reads for the catalog: the filtered, searched, sorted page of add-ons and a product's page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnExpressionArgument,
    String,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from marketplace.bundles.queries import (
    PricedBundle,
    active_add_ons_by_id,
    bundles_containing,
    price_bundles,
    savings_label,
)
from marketplace.catalog.facts import ProductFacts, humanise, product_facts
from marketplace.catalog.search import search_page, search_words
from marketplace.models import AddOn, AddOnBundle, AddOnFeature, FeatureDefinition
from marketplace.quoting import quote_add_ons
from marketplace.shopper import Shopper

PAGE_SIZE = 24
# A search counts its matches up to here and then says "more than": a one-letter prefix
# matches nearly every add-on, and counting them all would re-check each row's document.
SEARCH_COUNT_LIMIT = 1_000
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
KEY_FEATURES = 3

# The first feature keys of each add-on with their platform names, inside the catalog query
# itself: no second query per page and none per card.
KEY_FEATURE_NAMES = literal_column(
    "ARRAY(SELECT coalesce(feature_definitions.name, f.key)"
    " FROM jsonb_array_elements_text(add_ons.features) WITH ORDINALITY AS f(key, n)"
    " LEFT JOIN feature_definitions ON feature_definitions.key = f.key"
    f" ORDER BY f.n LIMIT {KEY_FEATURES})",
    ARRAY(String),
).label("key_features")

# Each sort and the index that serves it (see migration 001).
SORTS: dict[str, tuple[Any, ...]] = {
    "featured": (AddOn.display_order, AddOn.name),  # idx_add_ons_active_featured
    "price_asc": (AddOn.base_price, AddOn.name),  # idx_add_ons_active_price
    "price_desc": (AddOn.base_price.desc(), AddOn.name),  # idx_add_ons_active_price
    "name": (AddOn.name,),  # idx_add_ons_active_name
}


@dataclass(frozen=True)
class BundleHint:
    """A bundle an add-on belongs to, as a card shows it."""

    id: uuid.UUID
    name: str
    savings: str


@dataclass(frozen=True)
class CatalogPage:
    """One page of the catalog: its add-ons, how many match in all, and bundle hints."""

    add_ons: list[AddOn]
    total: int  # the matches, or at least this many when `more` is set
    page: int
    page_size: int
    key_features: dict[uuid.UUID, list[str]] = field(default_factory=dict)
    bundle_hints: dict[uuid.UUID, list[BundleHint]] = field(default_factory=dict)

    more: bool = False  # a search found more than `total` matches and stopped counting

    @property
    def pages(self) -> int | None:
        """How many pages there are, or None when the matches were not all counted."""
        return None if self.more else max(1, -(-self.total // self.page_size))


def catalog_page(
    session: Session,
    *,
    category: str | None = None,
    q: str = "",
    sort: str = "featured",
    page: int = 1,
    page_size: int = PAGE_SIZE,
    offset: int | None = None,
    now: datetime | None = None,
    hints_wanted: Callable[[uuid.UUID], bool] = lambda add_on_id: True,
) -> CatalogPage:
    """Return one page of active add-ons matching the filters (three queries, any page size;
    a search's ids and count are one, see `search.search_page`).

    The rows come from the sort's index with a LIMIT. The total is a separate `count(*)` (an
    index-only scan); `count(*) OVER ()` would fetch and evaluate every match to keep 24, about
    25 ms where both queries take 1 ms. No count on a short (last) page; an empty page past the
    first has none ("no such page"). A search counts up to `SEARCH_COUNT_LIMIT` matches (or to
    the page's end) in the statement that finds them, then says `more`. Bundle hints are read
    only for the add-ons `hints_wanted` names (cards not cached). `offset` (the API's cursor)
    starts the page at any row.
    """
    start = (page - 1) * page_size if offset is None else offset
    words = search_words(q)
    if words:
        rows, total, more = _searched(session, words, category, sort, start, page_size)
    else:
        rows, total, more = _browsed(session, category, sort, start, page_size)
    add_ons = [row.AddOn for row in rows]
    return CatalogPage(
        add_ons=add_ons,
        key_features={
            row.AddOn.id: [_readable(name) for name in row.key_features or ()] for row in rows
        },
        total=total,
        more=more,
        page=page,
        page_size=page_size,
        bundle_hints=bundle_hints(session, [a.id for a in add_ons if hints_wanted(a.id)], now=now),
    )


Rows = list[Row[Any]]


def _searched(
    session: Session, words: list[str], category: str | None, sort: str, start: int, size: int
) -> tuple[Rows, int, bool]:
    """A page of a search's rows, and how many match (to the count limit; `more` past it)."""
    count_limit = max(SEARCH_COUNT_LIMIT, start + size)
    searched = search_page(
        words,
        order=SORTS["name"] if sort == "featured" else SORTS[sort],
        ranked=sort == "featured",  # "featured" means the best match: by class, then name
        category=category,
        start=start,
        page_size=size,
        count_limit=count_limit,
    )
    found = searched.found
    query = (
        select(AddOn, KEY_FEATURE_NAMES, found.c.total)
        .join(found, found.c.id == AddOn.id)
        .order_by(found.c.position)
    )
    rows = list(session.execute(query, searched.params))
    matches = rows[0].total if rows else 0
    return rows, min(matches, count_limit), matches > count_limit


def _browsed(
    session: Session, category: str | None, sort: str, start: int, size: int
) -> tuple[Rows, int, bool]:
    """A page of the active add-ons (in `category`), and how many there are: counted only
    when the page is full (a short page is the last: every row is counted already)."""
    base: list[ColumnExpressionArgument[bool]] = [AddOn.is_active]
    base += [AddOn.category == category] if category else []
    query = select(AddOn, KEY_FEATURE_NAMES).where(*base).order_by(*SORTS[sort], AddOn.id)
    rows = list(session.execute(query.limit(size).offset(start)).all())
    if len(rows) < size:
        return rows, start + len(rows) if rows else 0, False
    return rows, session.scalars(select(func.count()).select_from(AddOn).where(*base)).one(), False


def bundle_hints(
    session: Session, add_on_ids: Sequence[uuid.UUID], *, now: datetime | None = None
) -> dict[uuid.UUID, list[BundleHint]]:
    """Return, per add-on, the live bundles it belongs to, featured first (one query)."""
    hints: dict[uuid.UUID, list[BundleHint]] = {}
    wanted = set(add_on_ids)
    if not wanted:
        return hints
    for bundle in bundles_containing(session, wanted, now=now):
        hint = BundleHint(bundle.id, bundle.name, savings_label(bundle))
        for add_on_id in dict.fromkeys(bundle.add_on_ids):
            if add_on_id in wanted:
                hints.setdefault(add_on_id, []).append(hint)
    return hints


def add_ons_with_feature(session: Session, feature_key: str, limit: int = 50) -> list[AddOn]:
    """Return active add-ons whose `features` hold `feature_key` (GIN idx_add_ons_features)."""
    query = (
        select(AddOn)
        .where(AddOn.features.contains([feature_key]), AddOn.is_active)
        .order_by(AddOn.display_order, AddOn.name)
        .limit(limit)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class ShopperPrice:
    """What this shopper pays for one unit each period, after tier pricing."""

    amount: Decimal
    discount: Decimal


@dataclass(frozen=True)
class ProductPage:
    """Everything the product page shows about one add-on."""

    add_on: AddOn
    facts: ProductFacts
    bundles: list[PricedBundle]
    shopper_price: ShopperPrice


def _readable(name: str) -> str:
    """A platform feature name as is; a bare key (no definition) made readable."""
    return humanise(name) if re.fullmatch(r"[a-z0-9_.\-]+", name) else name


def active_add_on(session: Session, slug: str) -> AddOn | None:
    """Return the active add-on at `slug`, or None (malformed slugs never reach the database)."""
    if len(slug) > 255 or not SLUG.fullmatch(slug):
        return None
    return session.scalar(select(AddOn).where(AddOn.slug == slug, AddOn.is_active))


def product_page(
    session: Session, slug: str, tier: str | None, *, now: datetime | None = None
) -> ProductPage | None:
    """Return the product page of the active add-on at `slug` for shoppers on `tier`, or None.

    Nothing on it depends on who asks beyond the tier, so it can be cached per tier.
    """
    add_on = active_add_on(session, slug)
    if add_on is None:
        return None
    features = [
        (row.feature_key, row.name, row.configuration or {})
        for row in session.execute(
            select(AddOnFeature.feature_key, AddOnFeature.configuration, FeatureDefinition.name)
            .outerjoin(FeatureDefinition, FeatureDefinition.key == AddOnFeature.feature_key)
            .where(AddOnFeature.add_on_id == add_on.id, AddOnFeature.enabled)
        )
    ]
    bundles = bundles_containing(session, [add_on.id], now=now)
    members = active_add_ons_by_id(
        session, {add_on_id for bundle in bundles for add_on_id in bundle.add_on_ids}
    )
    return ProductPage(
        add_on=add_on,
        facts=product_facts(features, add_on.meta or {}, order=add_on.features or ()),
        bundles=price_bundles(bundles, members),
        shopper_price=tier_price(session, tier, add_on, bundles),
    )


def tier_price(
    session: Session,
    tier: str | None,
    add_on: AddOn,
    bundles: Sequence[AddOnBundle] | None = None,
) -> ShopperPrice:
    """Return what a shopper on `tier` pays for one unit after tier pricing.

    `bundles`: the live bundles containing `add_on`, when the caller has them already.
    """
    quote = quote_add_ons(session, Shopper.anonymous(tier=tier), [(add_on, 1)], bundles=bundles)
    line = quote.lines[0]
    return ShopperPrice(amount=line.recurring_total, discount=line.tier_discount)
