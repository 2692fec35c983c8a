"""Stream a query's rows as CSV straight from PostgreSQL (`COPY … TO STDOUT`), and the cell
expressions that make the CSV safe and plain: memory stays flat however many rows there are.

PostgreSQL writes the CSV (RFC 4180 quoting, UTF-8, a header row of the query's labels); the
worker only passes the bytes on, in chunks. Cells are shaped in SQL: text a spreadsheet would
run as a formula gets a leading apostrophe, times are ISO 8601 UTC, money is NUMERIC's exact
decimal text ("1234.50"), flags are yes/no.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, cast

import psycopg
from sqlalchemy import Select, case, func, literal
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

# Spreadsheets run a cell starting with these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UTC_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'
CHUNK_BYTES = 64 * 1024  # PostgreSQL sends one message per row; the response gets bigger pieces
DIALECT = postgresql.psycopg.dialect()


def text_cell(column: Any) -> ColumnElement[Any]:
    """Text as a spreadsheet shows it, never runs it: a leading `'` before a formula start."""
    return case(
        (func.left(column, 1).in_(FORMULA_STARTS), literal("'") + column),
        else_=column,
    )


def utc_cell(column: Any) -> ColumnElement[Any]:
    """A timestamptz as ISO 8601 in UTC, to the second: 2026-11-26T01:42:10Z."""
    return func.to_char(func.timezone("UTC", column), UTC_FORMAT)


def yes_no_cell(column: Any) -> ColumnElement[Any]:
    return case((column, "yes"), else_="no")


def labelled(cells: tuple[tuple[str, Any], ...]) -> list[ColumnElement[Any]]:
    """(header, expression) pairs as the query's columns; the labels become the header row."""
    return [expression.label(header) for header, expression in cells]


def copy_csv(session: Session, query: Select[Any]) -> Generator[bytes, None, None]:
    """`query`'s rows as CSV with a header row, in chunks of about 64 KiB, on the session's
    connection (so within its transaction). Nothing is read before the first `next()`."""
    compiled = query.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
    statement = f"COPY ({compiled.string}) TO STDOUT WITH (FORMAT csv, HEADER true)"
    raw = cast(psycopg.Connection[Any], session.connection().connection.driver_connection)
    # COPY takes no server-side parameters: a client cursor quotes them into the statement.
    chunk = bytearray()
    with psycopg.ClientCursor(raw) as cursor, cursor.copy(statement, compiled.params) as copy:
        for data in copy:
            chunk += data
            if len(chunk) >= CHUNK_BYTES:
                yield bytes(chunk)
                chunk.clear()
    # The last piece goes once the COPY is over: a small export holds the connection for no
    # yield, so a response nobody reads (a client gone, a test) leaves it free.
    if chunk:
        yield bytes(chunk)
