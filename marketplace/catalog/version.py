"""The catalog version: a counter PostgreSQL bumps on every statement that changes the catalog.

Statement triggers on `add_ons`, `add_on_features`, `add_on_bundles` and `pricing_rules`
(revision 008) add one to `catalog_version.version`, inside the changing transaction, so the
new number becomes visible exactly when the change does — whoever made it (the admin area, SQL,
`flask seed`). Page caches put the number in their keys (marketplace/catalog/cache.py).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.models import CatalogVersion


def catalog_version(session: Session) -> int:
    """The catalog's current version (one primary-key row)."""
    return session.scalar(select(CatalogVersion.version)) or 0
