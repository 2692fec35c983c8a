"""Read bundles for the admin area: the list (keyset-paged by name) and the add-on picker."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.admin.keyset import PAGE_SIZE, Cursor, Page, keyset_page, like_pattern
from marketplace.models import AddOnBundle


@dataclass(frozen=True)
class BundleFilters:
    q: str = ""
    status: str | None = None  # "active", "inactive" or None (both)


def bundle_list(
    session: Session, filters: BundleFilters, after: Cursor | None = None, size: int = PAGE_SIZE
) -> Page[AddOnBundle]:
    """One page of bundles by name (the unique name index), after `after`."""
    query = select(AddOnBundle)
    if filters.q:
        query = query.where(AddOnBundle.name.ilike(like_pattern(filters.q)))
    if filters.status:
        query = query.where(AddOnBundle.is_active.is_(filters.status == "active"))
    return keyset_page(session, query, AddOnBundle.name, AddOnBundle.id, after, size=size)


def bundle(session: Session, bundle_id: uuid.UUID) -> AddOnBundle | None:
    return session.get(AddOnBundle, bundle_id)
