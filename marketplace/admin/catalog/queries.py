"""Read the catalog for the admin area: the add-on list (keyset-paged) and one add-on's page."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from marketplace.admin.keyset import split_page
from marketplace.models import AddOn, AddOnFeature, FeatureDefinition
from marketplace.orders.queries import escape_like

PAGE_SIZE = 50


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


@dataclass(frozen=True)
class AddOnCursor:
    """The last row of a page: its sort value and id."""

    value: Any
    id: uuid.UUID

    def token(self) -> str:
        value = self.value.isoformat() if isinstance(self.value, datetime) else str(self.value)
        return f"{value}~{self.id}"

    @classmethod
    def parse(cls, token: str, sort: str) -> AddOnCursor:
        """Read a `token()` made for `sort`; ValueError (or ArithmeticError) when it is not."""
        value, _, row_id = token.rpartition("~")
        return cls(value=SORTS[sort].parse(value), id=uuid.UUID(row_id))


@dataclass(frozen=True)
class AddOnPage:
    add_ons: list[AddOn]
    next_cursor: AddOnCursor | None


def add_on_list(
    session: Session, filters: AddOnFilters, after: AddOnCursor | None = None
) -> AddOnPage:
    """One page of add-ons matching `filters`, in the sort's order, after `after`."""
    sort = SORTS[filters.sort]
    query = _filtered(filters)
    key = tuple_(sort.column, AddOn.id)
    if after is not None:
        bound = tuple_(*(_literal(sort.column, after.value), _literal(AddOn.id, after.id)))
        query = query.where(key < bound if sort.descending else key > bound)
    order = (sort.column.desc(), AddOn.id.desc()) if sort.descending else (sort.column, AddOn.id)
    rows, last = split_page(
        list(session.scalars(query.order_by(*order).limit(PAGE_SIZE + 1))), PAGE_SIZE
    )
    cursor = AddOnCursor(getattr(last, sort.column.key), last.id) if last else None
    return AddOnPage(add_ons=rows, next_cursor=cursor)


def _literal(column: Any, value: Any) -> ColumnElement[Any]:
    return literal(value, column.type)


def _filtered(filters: AddOnFilters) -> Select[tuple[AddOn]]:
    query = select(AddOn)
    if filters.q:
        pattern = f"%{escape_like(filters.q)}%"
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
