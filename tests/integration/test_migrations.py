"""Migrations: the guide's rollback round-trips, and models and migrations agree."""

from __future__ import annotations

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from psycopg import sql
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from marketplace.database import libpq_conninfo
from marketplace.extensions import db
from tests.fixtures.database import make_app, recreate_database
from tests.guide import GUIDE_TABLES, PLATFORM_TABLES


@pytest.fixture
def scratch_app(database_url):
    """An app on a database of its own, for tests that change the schema."""
    # Named after the run's test database, so runs on one server never share it.
    name = f"{make_url(database_url).database}_scratch"
    url = recreate_database(make_url(database_url).set(database=name).render_as_string(False))
    app = make_app(url)
    with app.app_context():
        yield app
        db.engine.dispose()
    admin = libpq_conninfo(make_url(url).set(database="postgres").render_as_string(False))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def functions() -> set[str]:
    with db.engine.connect() as conn:
        return set(
            conn.exec_driver_sql(
                "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
            ).scalars()
        )


def test_downgrading_001_is_the_guides_rollback_and_upgrade_restores_it(scratch_app):
    upgrade()
    assert GUIDE_TABLES | PLATFORM_TABLES <= tables()
    assert {"update_updated_at_column", "set_add_on_slug"} <= functions()

    downgrade(revision="000_platform_base")
    assert tables() & GUIDE_TABLES == set()
    assert PLATFORM_TABLES <= tables()
    assert functions() & {"update_updated_at_column", "set_add_on_slug"} == set()

    upgrade()
    assert GUIDE_TABLES <= tables()


def test_000_leaves_existing_platform_tables_alone(scratch_app):
    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE subscription_tiers (code varchar(50) PRIMARY KEY, name text)"
        )
        conn.exec_driver_sql("INSERT INTO subscription_tiers VALUES ('platinum', 'Platinum')")
    upgrade()
    downgrade(revision="base")
    # The platform's own table (and its row) survive; the one 000 created is gone.
    assert "subscription_tiers" in tables()
    assert "feature_definitions" not in tables()
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT code FROM subscription_tiers").scalars().all() == [
            "platinum"
        ]


def test_models_and_migrations_agree(scratch_app):
    upgrade()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_upgrade_against_an_unreachable_database_prints_one_clear_line():
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 1
    assert "cannot reach postgresql+psycopg://postgres@127.0.0.1:1/nowhere" in result.output
    assert "Traceback" not in result.output
