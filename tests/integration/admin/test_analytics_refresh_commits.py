"""Analytics refreshes with real commits, on a database of their own: two at once (the minutely
incremental one meeting the daily full one) take turns, neither failing nor doubling a row;
the command vacuums the rollups after a full one."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.extensions import db
from marketplace.maintenance.analytics import TABLES, refresh
from tests.fixtures.database import committing_app
from tests.integration.admin.analytics_history import at, make_history
from tests.integration.admin.test_analytics_incremental import rollups

SHOP_TABLES = (
    "add_ons, add_on_bundles, promotional_codes, user_add_ons, add_on_purchases, orders, "
    "subscription_changes, funnel_events, billing_outbox, analytics_refreshes"
)


@pytest.fixture
def shop(committed_database_url):
    with committing_app(committed_database_url, f"{SHOP_TABLES}, {', '.join(TABLES)}") as app:
        make_history(db.session)  # commits, and refreshes the rollups fully
        yield app


@pytest.mark.parametrize("second_incremental", [False, True], ids=["full", "incremental"])
def test_a_refresh_started_during_another_waits_for_it_then_completes(shop, second_incremental):
    expected = rollups(db.session)
    db.session.commit()
    engine = db.engine  # the threads run outside the app context
    first_refreshed, second_done = threading.Event(), threading.Event()
    finished_while_first_open = []

    def first() -> None:
        with Session(engine) as session:
            refresh(session, now=at(2, 28))
            first_refreshed.set()
            # The second starts now and must still be waiting when this commits.
            finished_while_first_open.append(second_done.wait(timeout=0.5))
            session.commit()

    def second() -> None:
        first_refreshed.wait(timeout=10)
        with Session(engine) as session:
            refresh(session, incremental=second_incremental, now=at(2, 28))
            session.commit()
        second_done.set()

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(first), pool.submit(second)]:
            future.result(timeout=30)  # re-raises a failed refresh (a duplicate key, say)

    assert finished_while_first_open == [False]
    db.session.expire_all()
    assert rollups(db.session) == expected  # nothing changed since: the same rows, once each


def test_the_command_vacuums_the_rollups_after_a_full_refresh(shop):
    def all_visible() -> bool:
        pages, visible = db.session.execute(
            text(
                "SELECT relpages, relallvisible FROM pg_class "
                "WHERE oid = 'analytics_revenue_daily'::regclass"
            )
        ).one()
        return pages > 0 and visible == pages

    db.session.commit()
    incremental = shop.test_cli_runner().invoke(
        args=["maintain", "refresh-analytics", "--incremental"]
    )
    assert "vacuumed" not in incremental.output  # it rewrites a day or two: autovacuum's job

    result = shop.test_cli_runner().invoke(args=["maintain", "refresh-analytics"])

    assert result.exit_code == 0, result.output
    assert "rollups vacuumed" in result.output
    # Every page of the rewritten rollup is all-visible again: its index-only scans skip the
    # heap (the analytics page's p99 right after a refresh).
    assert all_visible()
