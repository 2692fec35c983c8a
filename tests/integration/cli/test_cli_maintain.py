"""`flask maintain`: each task changes exactly the rows the guide names, in batches."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace.maintenance.rows import ROW_TASKS
from marketplace.models import AddOn, CartItem, IdempotencyKey, PromotionalCode, UserAddOn


@pytest.fixture
def add_on(session):
    add_on = AddOn(
        name="Maintenance Probe",
        slug="maintenance-probe",
        category="development",
        base_price=Decimal("1.00"),
    )
    session.add(add_on)
    session.flush()
    return add_on


@pytest.fixture
def carts_of_various_ages(session, add_on, now):
    """Three cart lines older than 30 days and two fresh ones."""
    ages = {"old-1": 31, "old-2": 45, "old-3": 400, "fresh-1": 29, "fresh-2": 0}
    for user, days in ages.items():
        session.add(CartItem(user_id=user, add_on_id=add_on.id, added_at=now - timedelta(days)))
    session.flush()


@pytest.fixture
def subscriptions(session, add_on, now):
    rows = {
        "lapsed": ("active", now - timedelta(days=1)),
        "current": ("active", now + timedelta(days=1)),
        "lifetime": ("active", None),
        "cancelled": ("cancelled", now - timedelta(days=5)),
    }
    for user, (status, expires_at) in rows.items():
        session.add(
            UserAddOn(user_id=user, add_on_id=add_on.id, status=status, expires_at=expires_at)
        )
    session.flush()


@pytest.fixture
def promo_codes(session, now):
    for code, expires_at in {
        "OLD10": now - timedelta(hours=1),
        "NEW10": now + timedelta(days=1),
        "FOREVER": None,
    }.items():
        session.add(
            PromotionalCode(
                code=code,
                discount_type="percentage",
                discount_value=Decimal("10"),
                expires_at=expires_at,
            )
        )
    session.flush()


def cart_users(session) -> list[str]:
    session.expire_all()
    return sorted(session.scalars(select(CartItem.user_id)))


def statuses(session) -> dict[str, str]:
    session.expire_all()
    return dict(session.execute(select(UserAddOn.user_id, UserAddOn.status)).all())


def active_codes(session) -> dict[str, bool]:
    session.expire_all()
    return dict(session.execute(select(PromotionalCode.code, PromotionalCode.is_active)).all())


def test_cleanup_carts_deletes_old_lines_in_batches(session, carts_of_various_ages, now):
    batches = []

    deleted = ROW_TASKS["cleanup-carts"].run(
        session, now=now, days=30, batch_size=2, after_batch=batches.append
    )

    assert deleted == 3
    assert batches == [2, 1]
    assert cart_users(session) == ["fresh-1", "fresh-2"]


def test_cleanup_carts_command(runner, session, carts_of_various_ages):
    result = runner.invoke(args=["maintain", "cleanup-carts", "--batch-size", "2"])

    assert result.exit_code == 0, result.output
    assert "cleanup-carts: deleted 3 cart lines added before" in result.output
    assert "(older than 30 days)" in result.output
    assert cart_users(session) == ["fresh-1", "fresh-2"]


def test_cleanup_carts_dry_run_counts_and_keeps_everything(runner, session, carts_of_various_ages):
    result = runner.invoke(args=["maintain", "cleanup-carts", "--days", "40", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "would delete 2 cart lines" in result.output
    assert "(older than 40 days) (dry run: nothing changed)" in result.output
    assert len(cart_users(session)) == 5


def test_expire_subscriptions_only_touches_lapsed_active_ones(session, subscriptions, now):
    expire = ROW_TASKS["expire-subscriptions"]
    assert expire.count(session, now=now) == 1
    assert statuses(session)["lapsed"] == "active"

    assert expire.run(session, now=now) == 1

    assert statuses(session) == {
        "lapsed": "expired",
        "current": "active",
        "lifetime": "active",
        "cancelled": "cancelled",
    }


def test_deactivate_promos_only_touches_expired_codes(session, promo_codes, now):
    assert ROW_TASKS["deactivate-promos"].run(session, now=now) == 1
    assert active_codes(session) == {"OLD10": False, "NEW10": True, "FOREVER": True}


def test_run_weekly_dry_run_reports_and_changes_nothing(
    runner, session, subscriptions, promo_codes
):
    result = runner.invoke(args=["maintain", "run", "weekly", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Running weekly maintenance (dry run):",
        "expire-subscriptions: would mark 1 active subscriptions expired "
        "(dry run: nothing changed)",
        "deactivate-promos: would deactivate 1 expired promo codes (dry run: nothing changed)",
        "Weekly maintenance dry run done, would change: "
        "expire-subscriptions 1, deactivate-promos 1.",
    ]
    assert statuses(session)["lapsed"] == "active"
    assert active_codes(session)["OLD10"] is True


def test_run_weekly_expires_subscriptions_and_promos(runner, session, subscriptions, promo_codes):
    result = runner.invoke(args=["maintain", "run", "weekly"])

    assert result.exit_code == 0, result.output
    assert "expire-subscriptions: marked 1 active subscriptions expired" in result.output
    assert "deactivate-promos: deactivated 1 expired promo codes" in result.output
    assert "Weekly maintenance done: expire-subscriptions 1, deactivate-promos 1." in result.output
    assert statuses(session)["lapsed"] == "expired"
    assert active_codes(session)["OLD10"] is False


@pytest.fixture
def idempotency_keys(session, now):
    """Keys claimed 25 and 23 hours ago, and one still running from two days ago."""
    for key, hours, status in (("old", 25, 201), ("recent", 23, 201), ("stuck", 48, None)):
        session.add(
            IdempotencyKey(
                caller="alice",
                key=key,
                operation="checkout",
                request_hash="0" * 64,
                status=status,
                created_at=now - timedelta(hours=hours),
            )
        )
    session.flush()


def keys_left(session) -> list[str]:
    session.expire_all()
    return sorted(session.scalars(select(IdempotencyKey.key)))


def test_expire_idempotency_keys_deletes_those_past_a_day(runner, session, idempotency_keys):
    dry = runner.invoke(args=["maintain", "expire-idempotency-keys", "--dry-run"])
    assert "would delete 2 idempotency keys older than 24 hours" in dry.output
    assert keys_left(session) == ["old", "recent", "stuck"]

    result = runner.invoke(args=["maintain", "expire-idempotency-keys", "--batch-size", "1"])

    assert result.exit_code == 0, result.output
    assert "expire-idempotency-keys: deleted 2 idempotency keys older than 24 hours" in (
        result.output
    )
    assert keys_left(session) == ["recent"]


def test_run_daily_cleans_carts_and_old_keys(
    runner, session, carts_of_various_ages, idempotency_keys
):
    result = runner.invoke(args=["maintain", "run", "daily"])

    assert result.exit_code == 0, result.output
    assert (
        "Daily maintenance done: cleanup-carts 3, expire-idempotency-keys 2, "
        "refresh-analytics 8." in result.output
    )
    assert cart_users(session) == ["fresh-1", "fresh-2"]
    assert keys_left(session) == ["recent"]


def test_analyze_runs_in_the_command_transaction(runner):
    result = runner.invoke(args=["maintain", "analyze"])

    assert result.exit_code == 0, result.output
    assert "analyze: analyzed 8 tables" in result.output


def test_vacuum_and_monthly_run_on_their_own_connection(cli_runner_for, database_url):
    # VACUUM cannot run inside the `app` fixture's transaction: use an app of its own.
    runner = cli_runner_for(database_url)

    vacuum = runner.invoke(args=["maintain", "vacuum"])
    monthly = runner.invoke(args=["maintain", "run", "monthly", "--dry-run"])

    assert vacuum.exit_code == 0, vacuum.output
    assert "vacuum: vacuumed and analyzed 8 tables" in vacuum.output
    assert "  add_on_purchases" in vacuum.output
    assert monthly.exit_code == 0, monthly.output
    assert "analyze: would analyze 8 tables (dry run: nothing changed)" in monthly.output
    assert "vacuum: would vacuum 8 tables" in monthly.output
    assert "Monthly maintenance dry run done, would change: analyze 8, vacuum 8." in monthly.output
