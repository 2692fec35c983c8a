"""Read the catalog for the admin area: the add-on list (keyset-paged) and one add-on's page."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from marketplace.admin.keyset import PAGE_SIZE, Cursor, Page, keyset_page, like_pattern
from marketplace.models import AddOn, AddOnFeature, FeatureDefinition


@dataclass(frozen=True)
class Sort:
    """One order of the list: its column (ties broken by id), direction and cursor parser."""

    label: str
    column: Any
    descending: bool
    parse: Callable[[str], Any]


SORTS = {
    "name": Sort("Name: A to Z", AddOn.name, False, str),  # idx_add_ons_admin_name
    "price_asc": Sort("Price: low to high", AddOn.base_price, False, Decimal),  # _price
    "price_desc": Sort("Price: high to low", AddOn.base_price, True, Decimal),  # _price
    "updated": Sort("Recently changed", AddOn.updated_at, True, datetime.fromisoformat),
}
STATUSES = {"active": "Active", "inactive": "Inactive"}


@dataclass(frozen=True)
class AddOnFilters:
    q: str = ""
    category: str | None = None
    status: str | None = None  # "active", "inactive" or None (both)
    billing_type: str | None = None
    sort: str = "name"


def add_on_list(
    session: Session, filters: AddOnFilters, after: Cursor | None = None, size: int = PAGE_SIZE
) -> Page[AddOn]:
    """One page of add-ons matching `filters`, in the sort's order, after `after`."""
    sort = SORTS[filters.sort]
    return keyset_page(
        session,
        _filtered(filters),
        sort.column,
        AddOn.id,
        after,
        descending=sort.descending,
        size=size,
    )


def _filtered(filters: AddOnFilters) -> Select[tuple[AddOn]]:
    query = select(AddOn)
    if filters.q:
        pattern = like_pattern(filters.q)
        query = query.where(or_(AddOn.name.ilike(pattern), AddOn.slug.ilike(pattern)))
    if filters.category:
        query = query.where(AddOn.category == filters.category)
    if filters.billing_type:
        query = query.where(AddOn.billing_type == filters.billing_type)
    if filters.status:
        query = query.where(AddOn.is_active.is_(filters.status == "active"))
    return query


def add_on(session: Session, add_on_id: uuid.UUID) -> AddOn | None:
    """One add-on, active or not."""
    return session.get(AddOn, add_on_id)


def feature_mappings(session: Session, add_on_id: uuid.UUID) -> list[AddOnFeature]:
    """The add-on's feature mappings, by key."""
    return list(
        session.scalars(
            select(AddOnFeature)
            .where(AddOnFeature.add_on_id == add_on_id)
            .order_by(AddOnFeature.feature_key)
        )
    )


def feature_choices(session: Session) -> list[tuple[str, str]]:
    """Every platform feature as (key, name), for the mapping picker."""
    rows = session.execute(
        select(FeatureDefinition.key, FeatureDefinition.name).order_by(FeatureDefinition.key)
    )
    return [(key, name) for key, name in rows]
