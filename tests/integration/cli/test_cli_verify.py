"""`flask verify`: the guide's checklist passes on a seeded database and names what is wrong."""

from __future__ import annotations

from sqlalchemy import delete, text

from marketplace.cli.verify import migration_head, run_checks
from marketplace.models import AddOnBundle


def by_name(session):
    return {result.name: result for result in run_checks(session)}


def test_every_check_passes_on_a_seeded_database(session, seeded_catalog):
    results = by_name(session)

    assert [name for name, result in results.items() if not result.ok] == []
    assert results["marketplace tables"].found == "8"
    assert results["seed add-ons present"].found == "9"
    assert results["add_on_features rows"].found == "45"
    # 001's 35, 005's order_id, the admin list's 3 sort indexes on add_ons (008_admin_audit),
    # the admin order list's add-on index on add_on_purchases (012_admin_orders), the admin
    # subscription list's 3 on user_add_ons (014_admin_subscriptions), the analytics "expiring"
    # index on user_add_ons, and 020_analytics_incremental's: 3 on add_on_purchases (charges
    # and refunds since a time, promo codes reserved) and the analytics_add_on_* rollups' 6
    # (slots: key and add-on; running totals: key; MRR: key, by MRR, by subscribers); and the
    # search match classes' 3 GIN indexes on add_ons (019_search_classes), and the key of
    # 022_add_on_mrr_base's analytics_add_on_mrr_base.
    assert results["indexes on add_* tables"].found == "57"
    assert results["foreign keys on the guide's 5 tables"].found == "7"  # and 005's order_id
    assert results["update_updated_at_column triggers"].found == "8/8"
    assert results["alembic revision"].found == migration_head()


def test_verify_command_prints_the_checklist_and_exits_0(runner, seeded_catalog):
    result = runner.invoke(args=["verify"])

    assert result.exit_code == 0, result.output
    assert "index idx_add_ons_features" in result.output
    assert "FAIL" not in result.output
    assert result.output.endswith("All 13 checks passed.\n")


def test_unseeded_database_fails_the_seed_checks(session):
    results = by_name(session)

    failed = {name: result.found for name, result in results.items() if not result.ok}
    assert failed == {
        "seed add-ons present": "0",
        "add_on_features rows": "0",
        "seed promo codes present": "0",
        "seed bundles present": "0",
    }


def test_dropped_index_fails_with_exit_code_1(runner, session, seeded_catalog):
    session.execute(text("DROP INDEX idx_cart_items_user"))

    result = runner.invoke(args=["verify"])

    assert result.exit_code == 1
    row = next(line for line in result.output.splitlines() if "idx_cart_items_user" in line)
    assert row.split() == ["index", "idx_cart_items_user", "exists", "missing", "FAIL"]
    assert "indexes on add_* tables" in result.output
    assert "1 of 13 checks failed." in result.output


def test_missing_seed_bundle_and_trigger_fail(runner, session, seeded_catalog):
    session.execute(delete(AddOnBundle).where(AddOnBundle.name == "Enterprise Suite"))
    session.execute(text("DROP TRIGGER cart_items_updated_at ON cart_items"))

    result = runner.invoke(args=["verify"])

    assert result.exit_code == 1
    lines = {line.split("  ")[0]: line.split() for line in result.output.splitlines()}
    assert lines["seed bundles present"][-3:] == ["3", "2", "FAIL"]
    assert lines["update_updated_at_column triggers"][-4:] == [
        "7/8",
        "(missing:",
        "cart_items)",
        "FAIL",
    ]
    assert "2 of 13 checks failed." in result.output
