"""Test harness: one real PostgreSQL database per run, migrated once; each test rolled back.

The server is `TEST_DATABASE_URL` when set, else the checkout's embedded PostgreSQL. Each test
runs inside a transaction on one connection that the app's session joins with SAVEPOINTs, so
commits made by the code under test are undone at teardown.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from marketplace import create_app
from marketplace.config import INSTANCE_PATH
from marketplace.database import embedded_url, libpq_conninfo, normalize_url
from marketplace.extensions import db

TEST_DB_NAME = "marketplace_test"
# Each app keeps its Stripe slots and circuit breaker in a folder of its own under this one, so
# a breaker one test opens never refuses another test's calls.
STRIPE_GUARD_ROOT = tempfile.mkdtemp(prefix="mkt-test-stripe-guard-")
atexit.register(shutil.rmtree, STRIPE_GUARD_ROOT, True)


def recreate_database(url: str) -> str:
    """Drop and create the database `url` names; return the URL (psycopg driver)."""
    url = normalize_url(url)
    name = make_url(url).database
    admin = libpq_conninfo(make_url(url).set(database="postgres").render_as_string(False))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url


def server_url(database: str) -> str:
    """Return a URL for `database` on the test server (TEST_DATABASE_URL or embedded)."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        return make_url(normalize_url(configured)).set(database=database).render_as_string(False)
    return embedded_url(INSTANCE_PATH, database)


def make_app(database_url: str, **overrides):
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "CATALOG_CACHE_SECONDS": 0,  # tests/integration/storefront/test_catalog_cache.py
            "STRIPE_GUARD_DIR": os.path.join(STRIPE_GUARD_ROOT, uuid.uuid4().hex),
            **overrides,
        }
    )


@pytest.fixture(scope="session")
def database_url() -> str:
    """The migrated test database, made fresh once per run."""
    configured = os.environ.get("TEST_DATABASE_URL")
    name = make_url(normalize_url(configured)).database if configured else TEST_DB_NAME
    url = recreate_database(server_url(name))
    app = make_app(url)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


@contextmanager
def rolled_back(app):
    """Run `app` inside one transaction, rolled back at exit; the app's sessions use SAVEPOINTs."""
    with app.app_context():
        engine = db.engine
        connection = engine.connect()
        transaction = connection.begin()
        engines = db.engines
        engines[None] = connection  # every session of this app now uses this connection
        db.session.configure(join_transaction_mode="create_savepoint")
        try:
            yield app
        finally:
            db.session.remove()
            transaction.rollback()
            connection.close()
            engines[None] = engine
            engine.dispose()


@pytest.fixture
def app(database_url):
    """An app whose every database session joins one transaction rolled back at teardown."""
    with rolled_back(make_app(database_url)) as app:
        yield app


@pytest.fixture
def csrf_app(database_url):
    """Like `app`, with CSRF protection on as in production."""
    with rolled_back(make_app(database_url, WTF_CSRF_ENABLED=True)) as app:
        yield app


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
