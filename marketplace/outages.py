"""Database outages degrade, they do not crash: which errors mean PostgreSQL is unreachable,
a request that knows it, and a session teardown that survives them.

A restart (or a failover) ends every connection: the query in flight fails, and so does the
rollback that closes the request's session if the connection died after its last query. The
first becomes a 503 page (`marketplace/errors.py`); the second, raised after the response was
made, used to escape Flask's teardown and replace the page with the server's bare 500. The pool
checks each connection before use (`pool_pre_ping`), so the first request after the server is
back gets a fresh one: recovery needs no restart.
"""

from __future__ import annotations

import logging

import psycopg
from flask import Flask, g
from sqlalchemy import exc as sa_exc

from marketplace.database import first_line
from marketplace.extensions import db
from marketplace.read_only_requests import commit_if_only_read

log = logging.getLogger(__name__)

# Refused or lost connections, a server starting up or shutting down, a full pool: retrying in
# a moment can succeed. (psycopg files SQLSTATE class 57, "operator intervention", under
# OperationalError: admin shutdown, cannot connect now, query cancelled.)
UNREACHABLE = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,  # no pooled connection free within pool_timeout
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


def is_database_outage(error: BaseException) -> bool:
    """True when `error` says the database cannot be reached now (not a bug in a statement)."""
    if isinstance(error, UNREACHABLE):
        return True
    return isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated


def mark_unavailable() -> None:
    """Note for the rest of this request that the database is down: nothing more asks it."""
    g.database_unavailable = True


def known_unavailable() -> bool:
    return bool(g.get("database_unavailable"))


def init_app(app: Flask) -> None:
    """Close each request's session without letting an outage escape the teardown.

    Registered after Flask-SQLAlchemy's own teardown, so it runs first (Flask runs them in
    reverse); Flask-SQLAlchemy's then finds no session left to close.
    """
    app.teardown_appcontext(remove_session)


def remove_session(exc: BaseException | None = None) -> None:
    """`db.session.remove()`, first committing a transaction that only read (so psycopg keeps
    its prepared statements: marketplace/read_only_requests.py), logging (not raising) a
    connection that died under it."""
    try:
        if exc is None and db.session.registry.has():  # a request that used the database
            commit_if_only_read(db.session())
        db.session.remove()
    except Exception as error:
        if not is_database_outage(error):
            raise
        log.warning("database session closed on a lost connection: %s", first_line(error))
        try:
            db.session().invalidate()  # drops the connections without talking to the server
        except Exception:  # pragma: no cover - nothing more can be done for this session
            log.warning("database session could not be invalidated", exc_info=True)
        db.session.registry.clear()
