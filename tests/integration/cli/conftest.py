"""Fixtures for the CLI tests: a fixed `now`, a seeded catalog, and apps on other databases."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime

import psycopg
import pytest
from flask.testing import FlaskCliRunner
from psycopg import sql
from sqlalchemy.engine import make_url

from marketplace import create_app
from marketplace.cli.seed import SeedReport, seed_catalog
from marketplace.database import libpq_conninfo
from marketplace.extensions import db
from marketplace.models.base import utcnow


@pytest.fixture
def cli_runner_for() -> Iterator[Callable[[str], FlaskCliRunner]]:
    """Make a CLI runner for an app of its own (not the rolled-back `app`) on a database URL."""
    apps = []

    def make(database_url: str) -> FlaskCliRunner:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": "test-secret-key",
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        apps.append(app)
        return app.test_cli_runner()

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def now() -> datetime:
    return utcnow()


@pytest.fixture
def seeded_catalog(session, now) -> SeedReport:
    """The guide's seed catalog, loaded in the test's transaction."""
    return seed_catalog(session, now)


@pytest.fixture(scope="module")
def empty_database_url(database_url) -> Iterator[str]:
    """A database on the test server with no tables at all, dropped afterwards."""
    url = make_url(database_url)
    name = f"{url.database}_empty_{uuid.uuid4().hex[:8]}"
    admin = libpq_conninfo(url.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
