"""Keyset pagination for every admin list: ORDER BY a column then id, a page at a time, the
next page starting after the last row's (value, id) — as fast on page 1000 as on page 1."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, literal, tuple_
from sqlalchemy.orm import Session

from marketplace.orders.queries import escape_like

PAGE_SIZE = 50
T = TypeVar("T")


@dataclass(frozen=True)
class Cursor:
    """The last row of a page: its sort value and id."""

    value: Any
    id: Any  # a UUID, a bigint (audit log) or the provider's string id (Stripe events)

    def token(self) -> str:
        value = self.value.isoformat() if isinstance(self.value, datetime) else str(self.value)
        return f"{value}~{self.id}"

    @classmethod
    def parse(
        cls,
        token: str,
        parse_value: Callable[[str], Any],
        parse_id: Callable[[str], Any] = uuid.UUID,
    ) -> Cursor:
        """Read a `token()`; ValueError (or ArithmeticError) when a list did not make it."""
        value, _, row_id = token.rpartition("~")
        if not row_id:
            raise ValueError("a cursor is a value, then ~ and an id")
        return cls(value=parse_value(value), id=parse_id(row_id))


def parse_time(text: str) -> datetime:
    """A cursor's time: ISO 8601 with its time zone (ValueError otherwise)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a cursor's time carries its time zone")
    return moment


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    next_cursor: Cursor | None


def keyset_page(
    session: Session,
    query: Select[tuple[T]],
    column: Any,
    id_column: Any,
    after: Cursor | None,
    *,
    descending: bool = False,
    size: int = PAGE_SIZE,
) -> Page[T]:
    """One page of `query` ordered by (`column`, `id_column`), after the row `after`."""
    key = tuple_(column, id_column)
    if after is not None:
        bound = tuple_(_literal(column, after.value), _literal(id_column, after.id))
        query = query.where(key < bound if descending else key > bound)
    order = (column.desc(), id_column.desc()) if descending else (column, id_column)
    rows, last = split_page(list(session.scalars(query.order_by(*order).limit(size + 1))), size)
    cursor = Cursor(getattr(last, column.key), getattr(last, id_column.key)) if last else None
    return Page(rows=rows, next_cursor=cursor)


def split_page(rows: Sequence[T], size: int) -> tuple[list[T], T | None]:
    """The first `size` of `rows` (fetched with LIMIT size + 1), and the row the next page
    starts after: the page's last row when there is more, else None."""
    page = list(rows[:size])
    return page, (page[-1] if len(rows) > size else None)


def _literal(column: Any, value: Any) -> ColumnElement[Any]:
    return literal(value, column.type)


def like_pattern(text: str) -> str:
    """`%text%` for a list's ILIKE search, with its wildcards escaped."""
    return f"%{escape_like(text)}%"


def within_days(query: Select[Any], column: Any, since: date | None, until: date | None):
    """`query` limited to rows whose `column` falls on UTC days `since` to `until` (inclusive)."""
    if since:
        query = query.where(column >= _midnight(since))
    if until:
        query = query.where(column < _midnight(until + timedelta(days=1)))
    return query


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
