"""Read the audit log: the filterable, keyset-paged audit page and one object's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from marketplace.admin.keyset import split_page
from marketplace.models import AdminAuditEntry

PAGE_SIZE = 50
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


@dataclass(frozen=True)
class AuditCursor:
    """Where the next page starts: just after (older than) this row."""

    created_at: datetime
    id: int

    def token(self) -> str:
        return f"{self.created_at.isoformat()}_{self.id}"

    @classmethod
    def parse(cls, token: str) -> AuditCursor:
        """Read a `token()`; ValueError when it is not one."""
        when, _, row_id = token.rpartition("_")
        created_at = datetime.fromisoformat(when)
        if created_at.tzinfo is None:
            raise ValueError("a cursor's time has a time zone")
        return cls(created_at=created_at, id=int(row_id))


@dataclass(frozen=True)
class AuditPage:
    entries: list[AdminAuditEntry]
    next_cursor: AuditCursor | None


def audit_page(
    session: Session, filters: AuditFilters, after: AuditCursor | None = None
) -> AuditPage:
    """The newest entries matching `filters`, older than `after` (idx_admin_audit_log_*)."""
    query = _filtered(filters)
    if after is not None:
        query = query.where(
            tuple_(AdminAuditEntry.created_at, AdminAuditEntry.id) < (after.created_at, after.id)
        )
    rows, last = split_page(list(session.scalars(query.limit(PAGE_SIZE + 1))), PAGE_SIZE)
    cursor = AuditCursor(last.created_at, last.id) if last else None
    return AuditPage(entries=rows, next_cursor=cursor)


def history(session: Session, object_type: str, object_id: object) -> list[AdminAuditEntry]:
    """The latest changes to one object, newest first (idx_admin_audit_log_object)."""
    filters = AuditFilters(object_type=object_type, object_id=str(object_id))
    return list(session.scalars(_filtered(filters).limit(HISTORY_SIZE)))


def _filtered(filters: AuditFilters) -> Select[tuple[AdminAuditEntry]]:
    entry = AdminAuditEntry
    query = select(entry).order_by(entry.created_at.desc(), entry.id.desc())
    for column, value in (
        (entry.actor, filters.actor),
        (entry.action, filters.action),
        (entry.object_type, filters.object_type),
        (entry.object_id, filters.object_id),
    ):
        if value:
            query = query.where(column == value)
    if filters.since:
        query = query.where(entry.created_at >= _midnight(filters.since))
    if filters.until:
        query = query.where(entry.created_at < _midnight(filters.until + timedelta(days=1)))
    return query


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
