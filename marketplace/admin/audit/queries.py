"""Read the audit log: the filterable, keyset-paged audit page and one object's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from marketplace.admin.keyset import PAGE_SIZE, Cursor, Page, keyset_page, within_days
from marketplace.models import AdminAuditEntry

HISTORY_SIZE = 20


@dataclass(frozen=True)
class AuditFilters:
    """What the audit page shows; None is "any"."""

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: date | None = None  # from this day (UTC), inclusive
    until: date | None = None  # to this day (UTC), inclusive


def audit_page(
    session: Session, filters: AuditFilters, after: Cursor | None = None, size: int = PAGE_SIZE
) -> Page[AdminAuditEntry]:
    """The newest entries matching `filters`, older than `after` (idx_admin_audit_log_*)."""
    return keyset_page(
        session,
        _filtered(filters),
        AdminAuditEntry.created_at,
        AdminAuditEntry.id,
        after,
        descending=True,
        size=size,
    )


def history(session: Session, object_type: str, object_id: object) -> list[AdminAuditEntry]:
    """The latest changes to one object, newest first (idx_admin_audit_log_object)."""
    filters = AuditFilters(object_type=object_type, object_id=str(object_id))
    newest = (AdminAuditEntry.created_at.desc(), AdminAuditEntry.id.desc())
    return list(session.scalars(_filtered(filters).order_by(*newest).limit(HISTORY_SIZE)))


def _filtered(filters: AuditFilters) -> Select[tuple[AdminAuditEntry]]:
    entry = AdminAuditEntry
    query = select(entry)
    for column, value in (
        (entry.actor, filters.actor),
        (entry.action, filters.action),
        (entry.object_type, filters.object_type),
        (entry.object_id, filters.object_id),
    ):
        if value:
            query = query.where(column == value)
    return within_days(query, entry.created_at, filters.since, filters.until)
