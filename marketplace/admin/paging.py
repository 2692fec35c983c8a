"""What admin lists and exports share: keyset pagination by time (a cursor of the last row's
time and id; the add-on list, whose sort varies, keeps its own) and UTC day-range filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.orm import Session

PAGE_SIZE = 50


@dataclass(frozen=True)
class TimeCursor:
    """Where the next page starts: just past the row at this time with this id."""

    at: datetime
    id: str

    def token(self) -> str:
        return f"{self.at.isoformat()}_{self.id}"

    @classmethod
    def parse(cls, token: str) -> TimeCursor:
        """Read a `token()`; ValueError when it is not one (ids may hold `_`, times never)."""
        when, _, row_id = token.partition("_")
        at = datetime.fromisoformat(when)
        if at.tzinfo is None or not row_id:
            raise ValueError("a cursor is a time with a time zone, then an id")
        return cls(at=at, id=row_id)


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: TimeCursor | None


def keyset_page(
    session: Session,
    query: Select[Any],
    time_column: Any,
    id_column: Any,
    after: TimeCursor | None,
    *,
    descending: bool = True,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of `query`'s entities ordered by (`time_column`, `id_column`), past `after`.

    ValueError when `after`'s id is not one of `id_column`'s type."""
    key = tuple_(time_column, id_column)
    if after is not None:
        row_id = id_column.type.python_type(after.id)
        bound = tuple_(literal(after.at, time_column.type), literal(row_id, id_column.type))
        query = query.where(key < bound if descending else key > bound)
    order = (time_column.desc(), id_column.desc()) if descending else (time_column, id_column)
    rows = list(session.scalars(query.order_by(*order).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    if not more:
        return Page(rows=rows, next_cursor=None)
    last = rows[-1]
    cursor = TimeCursor(getattr(last, time_column.key), str(getattr(last, id_column.key)))
    return Page(rows=rows, next_cursor=cursor)


def within_days(query: Select[Any], column: Any, since: date | None, until: date | None):
    """`query` limited to rows whose `column` falls on UTC days `since` to `until` (inclusive)."""
    if since:
        query = query.where(column >= _midnight(since))
    if until:
        query = query.where(column < _midnight(until + timedelta(days=1)))
    return query


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
