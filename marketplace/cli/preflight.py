"""Check the database before a command does any work: reachable, and migrated."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from marketplace.database import first_line, safe_url
from marketplace.extensions import db
from marketplace.models import MARKETPLACE_TABLES, PLATFORM_TABLES


class DatabaseUnreachable(click.ClickException):
    """The database server cannot be connected to."""


class SchemaMissing(click.ClickException):
    """The database is reachable but has not been migrated."""


def check_database(session: Session, url: str) -> None:
    """Raise a one-line ClickException unless `session` reaches a migrated marketplace schema."""
    shown = safe_url(url)
    try:
        # to_regclass never raises for a missing table, so no transaction is left aborted.
        row = session.execute(
            text(
                "SELECT to_regclass('alembic_version') IS NOT NULL, "
                "ARRAY(SELECT t FROM unnest(CAST(:tables AS text[])) AS t "
                "WHERE to_regclass(t) IS NULL)"
            ),
            {"tables": [*MARKETPLACE_TABLES, *PLATFORM_TABLES]},
        ).one()
        has_alembic, missing = row
        revision = (
            session.execute(text("SELECT max(version_num) FROM alembic_version")).scalar()
            if has_alembic
            else None
        )
    except DBAPIError as exc:
        session.rollback()
        if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
            raise DatabaseUnreachable(
                f"cannot reach {shown}: {first_line(exc.orig or exc)}"
            ) from None
        raise
    if revision is None or len(missing) == len(MARKETPLACE_TABLES) + len(PLATFORM_TABLES):
        raise SchemaMissing(
            f"the database at {shown} has no marketplace schema; run `flask db upgrade`"
        )
    if missing:
        raise SchemaMissing(
            f"the database at {shown} is missing marketplace tables ({', '.join(missing)}) "
            f"although it is at revision {revision}; run `flask db upgrade` or restore them"
        )


def check_app_database() -> None:
    """Check the database of the current app (see `check_database`)."""
    check_database(db.session(), current_app.config["SQLALCHEMY_DATABASE_URI"])


def requires_database(command: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a click callback: push the app context, check the database, then run it."""
    if getattr(command, "checks_database", False):
        return command

    @functools.wraps(command)
    def checked(*args: Any, **kwargs: Any) -> Any:
        check_app_database()
        return command(*args, **kwargs)

    wrapped = with_appcontext(checked)
    # A marker on the function (read back with getattr above); mypy knows of no such attribute.
    wrapped.checks_database = True  # type: ignore[attr-defined]
    return wrapped


class DatabaseGroup(AppGroup):
    """A command group whose every subcommand checks the database before it runs.

    The check wraps each subcommand, not the group, so `--help` works without a database;
    commands added later (`seed_group.add_command(demo)`) are checked too.
    """

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if cmd.callback is not None:
            cmd.callback = requires_database(cmd.callback)
        super().add_command(cmd, name)
