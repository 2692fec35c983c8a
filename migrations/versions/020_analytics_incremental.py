"""Analytics rollups as tables a refresh rewrites in part: the days touched since the last
refresh (incremental) or all of them (full). Revenue per add-on becomes one row per day of
every add-on's running totals, so any range is its end minus its start. Refunds are dated by
each refund's own date. The refresh log says which kind each refresh was; the tables start
empty, so the log starts empty too ("not refreshed yet" until the first refresh).

Revision ID: 020_analytics_incremental
Revises: 019_search_classes
Create Date: 2026-11-26
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "020_analytics_incremental"
down_revision = "019_search_classes"
branch_labels = None
depends_on = None

OLD_VIEWS = (
    "analytics_mrr_daily",
    "analytics_revenue_daily",
    "analytics_add_on_revenue_daily",
    "analytics_add_on_revenue_monthly",
    "analytics_promo_daily",
    "analytics_bundle_daily",
    "analytics_bundle_holders",
    "analytics_add_on_mrr",
    "analytics_funnel_daily",
)
TABLES = (
    "analytics_mrr_daily",
    "analytics_mrr_users",
    "analytics_revenue_daily",
    "analytics_add_on_slots",
    "analytics_add_on_revenue_running",
    "analytics_promo_daily",
    "analytics_bundle_daily",
    "analytics_bundle_holders",
    "analytics_bundle_versions",
    "analytics_add_on_mrr",
    "analytics_funnel_daily",
)
# What an incremental refresh reads: the rows written since a time.
SOURCE_INDEXES = (
    ("idx_add_on_purchases_completed", "add_on_purchases", "completed_at", "completed_at"),
    ("idx_add_on_purchases_refunded", "add_on_purchases", "refunded_at", "refunded_at"),
    ("idx_refunds_created", "refunds", "created_at", None),
    ("idx_subscription_changes_occurred", "subscription_changes", "occurred_at", None),
    ("idx_funnel_events_occurred", "funnel_events", "occurred_at", None),
)


def _money(name: str) -> sa.Column:
    return sa.Column(name, sa.Numeric(14, 2), nullable=False)


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False)


def _day() -> sa.Column:
    return sa.Column("day", sa.Date(), nullable=False)


def upgrade():
    for name in reversed(OLD_VIEWS):
        op.execute(f"DROP MATERIALIZED VIEW {name}")
    op.execute("DELETE FROM analytics_refreshes")
    op.add_column(
        "analytics_refreshes",
        sa.Column("incremental", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "analytics_mrr_daily",
        _day(),
        sa.Column("movement", sa.String(20), nullable=False),
        _count("users"),
        _money("amount"),
        sa.PrimaryKeyConstraint("day", "movement", name="pk_analytics_mrr_daily"),
    )
    op.create_table(
        "analytics_revenue_daily",
        _day(),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("billing_type", sa.String(50), nullable=False),
        _money("charged"),
        _money("refunded"),
        _count("charges"),
        sa.PrimaryKeyConstraint(
            "day", "category", "billing_type", name="pk_analytics_revenue_daily"
        ),
    )
    # Each add-on's place in the running totals' arrays (1-based, never reused).
    op.create_table(
        "analytics_add_on_slots",
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("add_on_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("slot", name="pk_analytics_add_on_slots"),
        sa.UniqueConstraint("add_on_id", name="uq_analytics_add_on_slots_add_on_id"),
    )
    # Cents charged and refunded per add-on (by slot) from the first sale to the end of `day`.
    op.create_table(
        "analytics_add_on_revenue_running",
        _day(),
        sa.Column("charged", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("refunded", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_analytics_add_on_revenue_running"),
    )
    # Running totals hardly compress: trying costs a full refresh most of its time (8×).
    op.execute(
        "ALTER TABLE analytics_add_on_revenue_running ALTER COLUMN charged SET STORAGE EXTERNAL, "
        "ALTER COLUMN refunded SET STORAGE EXTERNAL"
    )
    op.create_table(
        "analytics_promo_daily",
        _day(),
        sa.Column("promo_code_id", sa.Uuid(), nullable=False),
        _count("checkouts"),
        _count("paid"),
        _money("discount"),
        _money("revenue"),
        _count("first_purchases"),
        sa.PrimaryKeyConstraint("day", "promo_code_id", name="pk_analytics_promo_daily"),
    )
    op.create_table(
        "analytics_bundle_daily",
        _day(),
        sa.Column("bundle_id", sa.Uuid(), nullable=False),
        _count("orders"),
        _money("savings"),
        _money("revenue"),
        sa.PrimaryKeyConstraint("day", "bundle_id", name="pk_analytics_bundle_daily"),
    )
    # Who holds each bundle whole, now.
    op.create_table(
        "analytics_bundle_holders",
        sa.Column("bundle_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("bundle_id", "user_id", name="pk_analytics_bundle_holders"),
    )
    # Each bundle's version (updated_at) its holders were found for.
    op.create_table(
        "analytics_bundle_versions",
        sa.Column("bundle_id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bundle_id", name="pk_analytics_bundle_versions"),
    )
    # Each user's MRR and movements before the day the next refresh starts from.
    op.create_table(
        "analytics_mrr_users",
        sa.Column("user_id", sa.String(255), nullable=False),
        _money("mrr"),
        _count("moves"),
        sa.PrimaryKeyConstraint("user_id", name="pk_analytics_mrr_users"),
    )
    op.create_table(
        "analytics_add_on_mrr",
        sa.Column("add_on_id", sa.Uuid(), nullable=False),
        _count("subscribers"),
        _money("mrr"),
        sa.PrimaryKeyConstraint("add_on_id", name="pk_analytics_add_on_mrr"),
    )
    # The page's top add-ons by MRR and by subscribers: the first rows of an index.
    op.create_index("idx_analytics_add_on_mrr_mrr", "analytics_add_on_mrr", ["mrr"])
    op.create_index("idx_analytics_add_on_mrr_subscribers", "analytics_add_on_mrr", ["subscribers"])
    op.create_table(
        "analytics_funnel_daily",
        _day(),
        sa.Column("step", sa.String(20), nullable=False),
        _count("visitors"),
        sa.PrimaryKeyConstraint("day", "step", name="pk_analytics_funnel_daily"),
    )
    for name, table, column, not_null in SOURCE_INDEXES:
        where = sa.text(f"{not_null} IS NOT NULL") if not_null else None
        op.create_index(name, table, [column], postgresql_where=where)
    # The analytics page's promo codes reserved now: their pending checkouts.
    op.create_index(
        "idx_add_on_purchases_pending_promo",
        "add_on_purchases",
        ["promo_code_id"],
        postgresql_include=["order_id", "checkout_session_id", "id"],
        postgresql_where=sa.text("status = 'pending' AND promo_code_id IS NOT NULL"),
    )
    # The page's expiring subscriptions (renewal off), counted and summed from the index alone.
    _expiring_index(include=["status", "recurring_amount", "billing_type"])
    # A user's history in order: the MRR movements of the users a refresh recomputes.
    op.create_index(
        "idx_subscription_changes_user", "subscription_changes", ["user_id", "occurred_at"]
    )


def _expiring_index(include: list[str]) -> None:
    op.drop_index("idx_user_add_ons_expiring_not_renewing", table_name="user_add_ons")
    op.create_index(
        "idx_user_add_ons_expiring_not_renewing",
        "user_add_ons",
        ["expires_at"],
        postgresql_include=include,
        postgresql_where=sa.text("status = 'active' AND NOT auto_renew AND expires_at IS NOT NULL"),
    )


def downgrade():
    _expiring_index(include=[])
    op.drop_index("idx_subscription_changes_user", table_name="subscription_changes")
    op.drop_index("idx_add_on_purchases_pending_promo", table_name="add_on_purchases")
    for name, table, _column, _not_null in reversed(SOURCE_INDEXES):
        op.drop_index(name, table_name=table)
    for name in reversed(TABLES):
        op.drop_table(name)
    op.drop_column("analytics_refreshes", "incremental")
    op.execute("DELETE FROM analytics_refreshes")
    # 017's views, as 017 defines them.
    spec = importlib.util.spec_from_file_location(
        "analytics_rollups_017", Path(__file__).with_name("017_analytics_rollups.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, (query, key) in module.VIEWS.items():
        op.execute(f"CREATE MATERIALIZED VIEW {name} AS {query}")
        op.execute(f"CREATE UNIQUE INDEX {name}_key ON {name} ({', '.join(key)})")
