"""Migrations: the guide's rollback round-trips, and models and migrations agree."""

from __future__ import annotations

from decimal import Decimal

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


BACKFILL_ROWS = """
INSERT INTO add_ons (id, name, slug, category, base_price, billing_type)
VALUES ('00000000-0000-0000-0000-0000000000a1', 'Probe', 'probe', 'development', 10, 'monthly');
INSERT INTO promotional_codes (id, code, discount_type, discount_value)
VALUES ('00000000-0000-0000-0000-0000000000c1', 'SAVE2', 'fixed_amount', 2);
INSERT INTO add_on_purchases (user_id, add_on_id, amount, status, purchased_at,
    checkout_session_id, stripe_payment_id, discount_amount, promo_code_id, refund_amount)
VALUES
  -- the oldest: bought before checkout sessions were recorded
  ('alice', '00000000-0000-0000-0000-0000000000a1', 10, 'completed', '2025-03-01', NULL,
   'pi_old', 0, NULL, NULL),
  -- one checkout of two lines, one discounted by a code, partly refunded
  ('alice', '00000000-0000-0000-0000-0000000000a1', 8, 'completed', '2025-04-01', 'cs_a',
   'pi_a', 2, '00000000-0000-0000-0000-0000000000c1', 3),
  ('alice', '00000000-0000-0000-0000-0000000000a1', 10, 'completed', '2025-04-01', 'cs_a',
   'pi_a', 0, NULL, NULL),
  -- an abandoned checkout
  ('alice', '00000000-0000-0000-0000-0000000000a1', 10, 'failed', '2025-05-01', 'cs_b',
   NULL, 0, NULL, NULL),
  -- bob's, refunded
  ('bob', '00000000-0000-0000-0000-0000000000a1', 10, 'refunded', '2025-06-01', 'cs_c',
   'pi_c', 0, NULL, 10);
"""


def test_005_backfills_an_order_per_checkout(scratch_app):
    upgrade(revision="004_session_generations")
    with db.engine.begin() as conn:
        conn.exec_driver_sql(BACKFILL_ROWS)

    upgrade()

    with db.engine.connect() as conn:
        orders = conn.exec_driver_sql(
            "SELECT o.number, o.user_id, o.status, o.subtotal, o.total, o.payment_reference, "
            "count(p.id) FROM orders o JOIN add_on_purchases p ON p.order_id = o.id "
            "GROUP BY o.id ORDER BY o.created_at"
        ).all()
        discounts = conn.exec_driver_sql("SELECT kind, label, amount FROM purchase_discounts").all()
        unlinked = conn.exec_driver_sql(
            "SELECT count(*) FROM add_on_purchases WHERE order_id IS NULL"
        ).scalar()
        next_number = conn.exec_driver_sql("SELECT nextval('order_number_seq')").scalar()
    assert orders == [
        ("MKT-2025-000001", "alice", "paid", Decimal("10.00"), Decimal("10.00"), "pi_old", 1),
        (
            "MKT-2025-000002",
            "alice",
            "partially_refunded",
            Decimal("20.00"),
            Decimal("18.00"),
            "pi_a",
            2,
        ),
        (None, "alice", "failed", Decimal("10.00"), Decimal("10.00"), None, 1),
        ("MKT-2025-000003", "bob", "refunded", Decimal("10.00"), Decimal("10.00"), "pi_c", 1),
    ]
    assert discounts == [("other", "Discount (SAVE2)", Decimal("2.00"))]
    assert unlinked == 0
    assert next_number == 4  # the next order paid continues the series

    downgrade(revision="004_session_generations")
    assert "orders" not in tables() and "purchase_discounts" not in tables()
