"""A request whose transaction only read ends it with COMMIT, so prepared statements are kept.

psycopg prepares a statement on its fifth use on a connection, and PostgreSQL then reuses its
plan. But psycopg forgets (and deallocates) every prepared statement on each ROLLBACK, because
a rolled-back transaction may have dropped what they name. Every request used to end in the
ROLLBACK of `Session.close()`, so no statement ever reached its fifth use: each one was parsed
and planned anew, 1.3 ms of a catalog search's 2.8.

A transaction that only read ends the same either way: nothing to undo, its locks released. So
a request that ran only SELECTs and holds no unflushed changes commits; any other statement, a
statement that failed, or an exception in the view leaves the ROLLBACK as it was.
"""

from __future__ import annotations

from flask import Flask, g, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

# Statements that change nothing. A savepoint only marks a place (the test harness's sessions
# run inside one); anything else, a CTE included, counts as a write.
READING = ("SELECT", "SAVEPOINT", "RELEASE SAVEPOINT")


def init_app(_app: Flask) -> None:
    """Watch every engine's statements (once per process)."""
    if not event.contains(Engine, "before_cursor_execute", _note_statement):
        event.listen(Engine, "before_cursor_execute", _note_statement)
        event.listen(Engine, "handle_error", _note_error)


def _note_statement(_conn, _cursor, statement: str, *_args) -> None:
    if has_app_context() and not statement.lstrip()[:20].upper().startswith(READING):
        g.database_wrote = True


def _note_error(_context) -> None:
    if has_app_context():
        g.database_wrote = True


def commit_if_only_read(session: Session) -> None:
    """Commit `session`'s transaction if this app context's statements only read.

    A session with no connection yet sends nothing; one with unflushed objects is left alone
    (committing would flush them).
    """
    if g.get("database_wrote") or not session.in_transaction() or not session.is_active:
        return
    if session.new or session.dirty or session.deleted:
        return
    session.commit()
