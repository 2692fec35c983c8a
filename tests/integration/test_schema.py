"""The deployed schema has every property the guide's test suite and checklist describe."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.guide import GUIDE_TABLES, PLATFORM_TABLES

TABLES_WITH_UPDATED_AT = sorted(GUIDE_TABLES)


def scalar(session, sql: str, **params):
    return session.execute(text(sql), params).scalar_one()


def insert_add_on(session, name="Test Add-on", price="9.99", **extra) -> uuid.UUID:
    columns = {"name": name, "category": "ai-services", "base_price": Decimal(price), **extra}
    names = ", ".join(columns)
    values = ", ".join(f":{key}" for key in columns)
    return scalar(
        session, f"INSERT INTO add_ons ({names}) VALUES ({values}) RETURNING id", **columns
    )


def violates(session, sql: str, **params) -> str:
    """Run `sql` in a savepoint and return the name of the constraint it violated."""
    with pytest.raises(IntegrityError) as failure, session.begin_nested():
        session.execute(text(sql), params)
    return failure.value.orig.diag.constraint_name


def test_the_guides_eight_tables_and_the_platform_tables_exist(session):
    found = set(
        session.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        ).scalars()
    )
    assert GUIDE_TABLES <= found
    assert PLATFORM_TABLES <= found


def test_foreign_keys_cascade_or_restrict_per_table(session):
    rules = dict(
        session.execute(
            text(
                """
                SELECT tc.table_name || '.' || kcu.column_name, rc.delete_rule
                FROM information_schema.table_constraints tc
                JOIN information_schema.key_column_usage kcu USING (constraint_name, table_name)
                JOIN information_schema.referential_constraints rc USING (constraint_name)
                WHERE tc.constraint_type = 'FOREIGN KEY'
                """
            )
        ).all()
    )
    assert rules == {
        # A subscription's analytics history goes with it (removing the demo data set).
        "subscription_changes.user_add_on_id": "CASCADE",
        "user_add_ons.add_on_id": "RESTRICT",
        "add_on_purchases.add_on_id": "RESTRICT",
        "add_on_purchases.promo_code_id": "SET NULL",
        "add_on_purchases.order_id": "RESTRICT",
        "purchase_discounts.purchase_id": "CASCADE",
        "pricing_rules.add_on_id": "CASCADE",
        "cart_items.add_on_id": "CASCADE",
        "add_on_features.add_on_id": "CASCADE",
        "refunds.order_id": "RESTRICT",
        "refund_lines.refund_id": "RESTRICT",
        "refund_lines.purchase_id": "RESTRICT",
        # An endpoint's delivery log goes with it (deleting it in the admin area).
        "webhook_deliveries.endpoint_id": "CASCADE",
        "webhook_deliveries.event_id": "CASCADE",
    }


def test_deleting_an_add_on_clears_carts_and_features_but_never_sales(session):
    add_on = insert_add_on(session)
    session.execute(
        text("INSERT INTO cart_items (user_id, add_on_id) VALUES ('u1', :a)"), {"a": add_on}
    )
    session.execute(
        text("INSERT INTO add_on_features (add_on_id, feature_key) VALUES (:a, 'tts')"),
        {"a": add_on},
    )
    session.execute(text("DELETE FROM add_ons WHERE id = :a"), {"a": add_on})
    assert scalar(session, "SELECT count(*) FROM cart_items WHERE add_on_id = :a", a=add_on) == 0
    assert (
        scalar(session, "SELECT count(*) FROM add_on_features WHERE add_on_id = :a", a=add_on) == 0
    )

    sold = insert_add_on(session, name="Sold Add-on")
    session.execute(
        text("INSERT INTO add_on_purchases (user_id, add_on_id, amount) VALUES ('u1', :a, 9.99)"),
        {"a": sold},
    )
    constraint = violates(session, "DELETE FROM add_ons WHERE id = :a", a=sold)
    assert constraint == "fk_add_on_purchases_add_on_id"


def index_definitions(session) -> dict[str, str]:
    return dict(
        session.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        ).all()
    )


def test_the_checklist_counts_at_least_30_indexes_on_add_tables(session):
    # The guide's own query, verbatim.
    count = scalar(
        session,
        "SELECT COUNT(*) FROM pg_indexes WHERE tablename LIKE 'add_%' OR tablename LIKE '%_add_%'",
    )
    assert count >= 30


@pytest.mark.parametrize(
    "name",
    [
        "idx_add_ons_features",
        "idx_add_ons_metadata",
        "idx_add_ons_search_document",
        "idx_add_ons_search_a",
        "idx_add_ons_search_ab",
        "idx_add_ons_search_abc",
        "idx_add_on_bundles_add_on_ids",
        "idx_add_on_features_configuration",
        "idx_pricing_rules_conditions",
        "idx_promotional_codes_applicable_to",
    ],
)
def test_jsonb_array_and_search_columns_have_gin_indexes(session, name):
    assert "USING gin" in index_definitions(session)[name]


@pytest.mark.parametrize(
    ("name", "predicate"),
    [
        ("idx_user_add_ons_user_id", "WHERE ((status)::text = 'active'::text)"),
        ("idx_add_ons_active_featured", "WHERE is_active"),
        ("idx_add_on_bundles_active_window", "WHERE is_active"),
        ("idx_promotional_codes_active_expiry", "WHERE is_active"),
        ("idx_add_on_purchases_pending", "WHERE ((status)::text = 'pending'::text)"),
    ],
)
def test_partial_indexes_cover_only_active_or_valid_rows(session, name, predicate):
    assert index_definitions(session)[name].endswith(predicate)


def test_composite_indexes_serve_the_guides_queries(session):
    definitions = index_definitions(session)
    assert "(user_id, add_on_id) INCLUDE (expires_at)" in definitions["idx_user_add_ons_user_id"]
    assert "(user_id, added_at)" in definitions["idx_cart_items_user"]
    assert "(user_id, purchased_at DESC)" in definitions["idx_add_on_purchases_user_date"]


def test_every_foreign_key_column_is_indexed(session):
    unindexed = (
        session.execute(
            text(
                """
            SELECT c.conrelid::regclass || '.' || a.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f' AND NOT EXISTS (
                SELECT 1 FROM pg_index i
                WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]
            )
            """
            )
        )
        .scalars()
        .all()
    )
    assert unindexed == []


@pytest.mark.parametrize("table", TABLES_WITH_UPDATED_AT)
def test_update_trigger_bumps_updated_at(session, table):
    add_on = insert_add_on(session, name=f"Trigger {table}")
    rows = {
        "add_ons": None,
        "add_on_features": "INSERT INTO add_on_features (add_on_id, feature_key) VALUES (:a, 'k')",
        "add_on_bundles": "INSERT INTO add_on_bundles (name, add_on_ids)"
        " VALUES ('B', ARRAY[:a, :a])",
        "pricing_rules": "INSERT INTO pricing_rules (add_on_id, discount_percent) VALUES (:a, 5)",
        "promotional_codes": "INSERT INTO promotional_codes (code, discount_type, discount_value)"
        " VALUES ('TRIGGER', 'percentage', 5)",
        "cart_items": "INSERT INTO cart_items (user_id, add_on_id) VALUES ('u', :a)",
        "user_add_ons": "INSERT INTO user_add_ons (user_id, add_on_id) VALUES ('u', :a)",
        "add_on_purchases": "INSERT INTO add_on_purchases (user_id, add_on_id, amount)"
        " VALUES ('u', :a, 1)",
    }
    if rows[table]:
        session.execute(text(rows[table]), {"a": add_on})
    session.execute(text(f"UPDATE {table} SET updated_at = '2000-01-01T00:00:00Z'"))
    # NOW() is the transaction's start, so the bumped value is exactly that.
    session.execute(text(f"UPDATE {table} SET updated_at = updated_at"))
    stale = scalar(session, f"SELECT count(*) FROM {table} WHERE updated_at <> now()")
    assert stale == 0


@pytest.mark.parametrize(
    ("sql", "constraint"),
    [
        (
            "INSERT INTO add_ons (name, category, base_price) VALUES ('x', 'games', 1)",
            "ck_add_ons_category",
        ),
        (
            "INSERT INTO add_ons (name, category, base_price, billing_type)"
            " VALUES ('x', 'analytics', 1, 'weekly')",
            "ck_add_ons_billing_type",
        ),
        (
            "INSERT INTO add_ons (name, category, base_price) VALUES ('x', 'analytics', -0.01)",
            "ck_add_ons_base_price_not_negative",
        ),
        (
            "INSERT INTO promotional_codes (code, discount_type, discount_value)"
            " VALUES ('X', 'bogus', 5)",
            "ck_promotional_codes_discount_type",
        ),
        (
            "INSERT INTO promotional_codes (code, discount_type, discount_value)"
            " VALUES ('X', 'percentage', 120)",
            "ck_promotional_codes_percentage_at_most_100",
        ),
        (
            "INSERT INTO promotional_codes (code, discount_type, discount_value, max_uses,"
            " current_uses) VALUES ('X', 'percentage', 10, 5, 6)",
            "ck_promotional_codes_current_uses_within_max",
        ),
        (
            "INSERT INTO cart_items (user_id, add_on_id, quantity) VALUES ('u', :a, 0)",
            "ck_cart_items_quantity_range",
        ),
        (
            "INSERT INTO cart_items (user_id, add_on_id, quantity) VALUES ('u', :a, 101)",
            "ck_cart_items_quantity_range",
        ),
        (
            "INSERT INTO user_add_ons (user_id, add_on_id, status) VALUES ('u', :a, 'paused')",
            "ck_user_add_ons_status",
        ),
        (
            "INSERT INTO add_on_purchases (user_id, add_on_id, amount, status)"
            " VALUES ('u', :a, 1, 'lost')",
            "ck_add_on_purchases_status",
        ),
        (
            "INSERT INTO add_on_purchases (user_id, add_on_id, amount) VALUES ('u', :a, -1)",
            "ck_add_on_purchases_amount_not_negative",
        ),
        (
            "INSERT INTO add_on_purchases (user_id, add_on_id, amount, refund_amount)"
            " VALUES ('u', :a, 5, 6)",
            "ck_add_on_purchases_refund_within_amount",
        ),
        (
            "INSERT INTO pricing_rules (add_on_id, discount_percent) VALUES (:a, 101)",
            "ck_pricing_rules_discount_percent_range",
        ),
        (
            "INSERT INTO add_on_bundles (name, add_on_ids) VALUES ('Solo', ARRAY[:a])",
            "ck_add_on_bundles_at_least_two_add_ons",
        ),
    ],
)
def test_checks_reject_bad_enum_values_and_ranges(session, sql, constraint):
    add_on = insert_add_on(session)
    assert violates(session, sql, a=add_on) == constraint


@pytest.mark.parametrize(
    ("setup", "duplicate", "constraint"),
    [
        (
            "INSERT INTO user_add_ons (user_id, add_on_id) VALUES ('u', :a)",
            "INSERT INTO user_add_ons (user_id, add_on_id) VALUES ('u', :a)",
            "uq_user_add_ons_user_id",
        ),
        (
            "INSERT INTO cart_items (user_id, add_on_id) VALUES ('u', :a)",
            "INSERT INTO cart_items (user_id, add_on_id) VALUES ('u', :a)",
            "uq_cart_items_user_id",
        ),
        (
            "INSERT INTO add_on_features (add_on_id, feature_key) VALUES (:a, 'tts')",
            "INSERT INTO add_on_features (add_on_id, feature_key) VALUES (:a, 'tts')",
            "uq_add_on_features_add_on_id",
        ),
        (
            "INSERT INTO promotional_codes (code, discount_type, discount_value)"
            " VALUES ('SAVE10', 'percentage', 10)",
            "INSERT INTO promotional_codes (code, discount_type, discount_value)"
            " VALUES ('SAVE10', 'percentage', 10)",
            "uq_promotional_codes_code",
        ),
        (
            "INSERT INTO promotional_codes (code, discount_type, discount_value)"
            " VALUES ('SAVE10', 'percentage', 10)",
            "INSERT INTO promotional_codes (code, discount_type, discount_value)"
            " VALUES ('save10', 'percentage', 10)",
            "idx_promotional_codes_code_upper",
        ),
    ],
)
def test_uniques_reject_duplicates(session, setup, duplicate, constraint):
    add_on = insert_add_on(session)
    session.execute(text(setup), {"a": add_on})
    assert violates(session, duplicate, a=add_on) == constraint


def test_inserts_naming_only_the_guides_columns_succeed_on_every_table(session):
    add_on = scalar(
        session,
        """
        INSERT INTO add_ons (name, description, category, base_price, billing_type, features,
                             is_active, metadata)
        VALUES ('Unicorn Orator - TTS', 'Speech', 'ai-services', 9.99, 'monthly',
                '["neural_voices"]', TRUE, '{}')
        RETURNING id
        """,
    )
    statements = [
        "INSERT INTO user_add_ons (user_id, add_on_id, status, purchased_at, expires_at,"
        " lago_subscription_id, auto_renew) VALUES ('kc-1', :a, 'active', NOW(), NULL, NULL, TRUE)",
        "INSERT INTO add_on_purchases (user_id, add_on_id, amount, currency, stripe_payment_id,"
        " lago_invoice_id, status, purchased_at) VALUES ('kc-1', :a, 9.99, 'USD', 'pi_1', NULL,"
        " 'completed', NOW())",
        "INSERT INTO add_on_bundles (name, description, add_on_ids, discount_percent,"
        " discount_amount, is_active, valid_from, valid_until) VALUES ('Pair', 'Two',"
        " ARRAY[:a, gen_random_uuid()], 10, NULL, TRUE, NOW(), NULL)",
        "INSERT INTO pricing_rules (add_on_id, tier_code, discount_percent, conditions, priority)"
        " VALUES (:a, 'professional', 10, '{}', 1)",
        "INSERT INTO cart_items (user_id, add_on_id, quantity, added_at)"
        " VALUES ('kc-1', :a, 2, NOW())",
        "INSERT INTO add_on_features (add_on_id, feature_key, enabled, configuration)"
        " VALUES (:a, 'neural_voices', TRUE, '{\"voices\": 120}')",
        "INSERT INTO promotional_codes (code, discount_type, discount_value, max_uses,"
        " current_uses, applicable_to, expires_at) VALUES ('GUIDE', 'percentage', 20, 100, 0,"
        " NULL, NOW() + INTERVAL '30 days')",
    ]
    for statement in statements:
        session.execute(text(statement), {"a": add_on})
    assert scalar(session, "SELECT slug FROM add_ons WHERE id = :a", a=add_on) == (
        "unicorn-orator-tts"
    )
