"""Read bundles for the admin area: the list (keyset-paged by name) and the add-on picker."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from marketplace.admin.keyset import Cursor, Page, keyset_page, like_pattern
from marketplace.models import AddOn, AddOnBundle


@dataclass(frozen=True)
class BundleFilters:
    q: str = ""
    status: str | None = None  # "active", "inactive" or None (both)


def bundle_list(
    session: Session, filters: BundleFilters, after: Cursor | None = None
) -> Page[AddOnBundle]:
    """One page of bundles by name (the unique name index), after `after`."""
    query = select(AddOnBundle)
    if filters.q:
        query = query.where(AddOnBundle.name.ilike(like_pattern(filters.q)))
    if filters.status:
        query = query.where(AddOnBundle.is_active.is_(filters.status == "active"))
    return keyset_page(session, query, AddOnBundle.name, AddOnBundle.id, after)


def bundle(session: Session, bundle_id: uuid.UUID) -> AddOnBundle | None:
    return session.get(AddOnBundle, bundle_id)


def add_on_choices(
    session: Session, keep: Collection[uuid.UUID] = ()
) -> list[tuple[uuid.UUID, str]]:
    """Active add-ons (and those in `keep`, a bundle's current members) as (id, label)."""
    rows = session.execute(
        select(AddOn.id, AddOn.name, AddOn.base_price, AddOn.is_active)
        .where(or_(AddOn.is_active, AddOn.id.in_(list(keep))))
        .order_by(AddOn.name, AddOn.id)
    )
    return [
        (add_on_id, f"{name} — ${price}" + ("" if active else " (inactive)"))
        for add_on_id, name, price, active in rows
    ]


def names_of(session: Session, add_on_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Add-on names by id, for lists that show members."""
    rows = session.execute(select(AddOn.id, AddOn.name).where(AddOn.id.in_(list(add_on_ids))))
    return {add_on_id: name for add_on_id, name in rows}
