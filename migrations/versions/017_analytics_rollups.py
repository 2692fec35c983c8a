"""Analytics: the funnel's append-only events, the rollups the analytics page reads
(materialized views refreshed by `flask maintain refresh-analytics`) and their refresh log.

Revision ID: 017_analytics_rollups
Revises: 016_analytics_history
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "017_analytics_rollups"
down_revision = "016_analytics_history"
branch_labels = None
depends_on = None

# Cash: each completed charge on the UTC day it was paid, each refund on the day refunded.
CASH = """
    SELECT (p.completed_at AT TIME ZONE 'UTC')::date AS day, p.add_on_id, a.category,
           coalesce(p.billing_type, a.billing_type) AS billing_type,
           p.amount AS charged, 0 AS refunded, 1 AS charges
    FROM add_on_purchases p JOIN add_ons a ON a.id = p.add_on_id
    WHERE p.status IN ('completed', 'refunded') AND p.completed_at IS NOT NULL
    UNION ALL
    SELECT (p.refunded_at AT TIME ZONE 'UTC')::date, p.add_on_id, a.category,
           coalesce(p.billing_type, a.billing_type), 0, p.refund_amount, 0
    FROM add_on_purchases p JOIN add_ons a ON a.id = p.add_on_id
    WHERE p.refund_amount > 0 AND p.refunded_at IS NOT NULL
"""
# Each view's unique index lets REFRESH … CONCURRENTLY swap it without blocking readers.
VIEWS = {
    # MRR movements per UTC day (marketplace/analytics/definitions.py, SQL twin): a change of
    # each subscription's monthly amount, summed per user and instant, classified.
    "analytics_mrr_daily": (
        """
        WITH per_subscription AS (
            SELECT user_id, occurred_at,
                   mrr - coalesce(lag(mrr) OVER (PARTITION BY user_add_on_id
                                                 ORDER BY occurred_at, id), 0) AS delta
            FROM subscription_changes
        ), per_user AS (
            SELECT user_id, occurred_at, sum(delta) AS delta
            FROM per_subscription GROUP BY user_id, occurred_at HAVING sum(delta) <> 0
        ), running AS (
            SELECT occurred_at, delta,
                   sum(delta) OVER (PARTITION BY user_id ORDER BY occurred_at) AS after,
                   row_number() OVER (PARTITION BY user_id ORDER BY occurred_at) AS nth
            FROM per_user
        )
        SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day,
               CASE WHEN after = delta THEN CASE WHEN nth = 1 THEN 'new' ELSE 'reactivation' END
                    WHEN after = 0 THEN 'churned'
                    WHEN delta > 0 THEN 'expansion' ELSE 'contraction' END AS movement,
               count(*)::int AS users, sum(delta)::numeric(12, 2) AS amount
        FROM running GROUP BY 1, 2
        """,
        ("day", "movement"),
    ),
    # Cash per UTC day, category and billing type (the revenue tiles, periods and shares).
    "analytics_revenue_daily": (
        f"""
        SELECT day, category, billing_type, sum(charged)::numeric(12, 2) AS charged,
               sum(refunded)::numeric(12, 2) AS refunded, sum(charges)::int AS charges
        FROM ({CASH}) cash GROUP BY 1, 2, 3
        """,
        ("day", "category", "billing_type"),
    ),
    # Cash per UTC day and add-on; per month below (a range's whole months read that one).
    "analytics_add_on_revenue_daily": (
        f"""
        SELECT day, add_on_id, sum(charged)::numeric(12, 2) AS charged,
               sum(refunded)::numeric(12, 2) AS refunded, sum(charges)::int AS charges
        FROM ({CASH}) cash GROUP BY 1, 2
        """,
        ("day", "add_on_id"),
    ),
    "analytics_add_on_revenue_monthly": (
        """
        SELECT date_trunc('month', day)::date AS month, add_on_id,
               sum(charged)::numeric(12, 2) AS charged,
               sum(refunded)::numeric(12, 2) AS refunded, sum(charges)::int AS charges
        FROM analytics_add_on_revenue_daily GROUP BY 1, 2
        """,
        ("month", "add_on_id"),
    ),
    # Promo codes per UTC day their checkouts started: one checkout is one order.
    "analytics_promo_daily": (
        """
        WITH firsts AS (
            SELECT user_id, min(completed_at) AS first_paid FROM add_on_purchases
            WHERE status IN ('completed', 'refunded') GROUP BY user_id
        ), checkouts AS (
            SELECT p.promo_code_id, p.user_id,
                   min(p.created_at) AS started, min(p.completed_at) AS paid_at,
                   bool_or(p.status IN ('completed', 'refunded')) AS paid,
                   coalesce(sum(d.amount) FILTER (WHERE p.status IN ('completed', 'refunded')),
                            0) AS discount,
                   coalesce(sum(p.amount - coalesce(p.refund_amount, 0))
                            FILTER (WHERE p.status IN ('completed', 'refunded')), 0) AS revenue
            FROM add_on_purchases p
            LEFT JOIN purchase_discounts d ON d.purchase_id = p.id AND d.kind = 'promo'
            WHERE p.promo_code_id IS NOT NULL
            GROUP BY p.promo_code_id, p.user_id,
                     coalesce(p.order_id::text, p.checkout_session_id, p.id::text)
        )
        SELECT (c.started AT TIME ZONE 'UTC')::date AS day, c.promo_code_id,
               count(*)::int AS checkouts, (count(*) FILTER (WHERE c.paid))::int AS paid,
               sum(c.discount)::numeric(12, 2) AS discount,
               sum(c.revenue)::numeric(12, 2) AS revenue,
               (count(*) FILTER (WHERE c.paid AND c.paid_at = f.first_paid))::int
                   AS first_purchases
        FROM checkouts c LEFT JOIN firsts f ON f.user_id = c.user_id
        GROUP BY 1, 2
        """,
        ("day", "promo_code_id"),
    ),
    # Bundles per UTC day paid: the order lines a bundle discounted (the receipt's label names
    # the bundle: orders/service.py `_bundle_label`).
    "analytics_bundle_daily": (
        """
        SELECT (p.completed_at AT TIME ZONE 'UTC')::date AS day, b.id AS bundle_id,
               count(DISTINCT coalesce(p.order_id::text, p.checkout_session_id))::int AS orders,
               sum(d.amount)::numeric(12, 2) AS savings,
               sum(p.amount - coalesce(p.refund_amount, 0))::numeric(12, 2) AS revenue
        FROM purchase_discounts d
        JOIN add_on_purchases p ON p.id = d.purchase_id
        JOIN add_on_bundles b ON d.label = CASE WHEN b.name ILIKE '%bundle%' THEN b.name
                                                ELSE b.name || ' bundle' END
        WHERE d.kind = 'bundle' AND p.status IN ('completed', 'refunded')
          AND p.completed_at IS NOT NULL
        GROUP BY 1, 2
        """,
        ("day", "bundle_id"),
    ),
    # Users holding an active subscription to every member of a bundle, now.
    "analytics_bundle_holders": (
        """
        SELECT b.id AS bundle_id, count(*)::int AS holders
        FROM add_on_bundles b
        JOIN LATERAL (
            SELECT u.user_id FROM user_add_ons u
            WHERE u.status = 'active' AND u.add_on_id = ANY(b.add_on_ids)
            GROUP BY u.user_id HAVING count(*) = cardinality(b.add_on_ids)
        ) holding ON true
        GROUP BY b.id
        """,
        ("bundle_id",),
    ),
    # Subscribers and MRR per add-on, now (the monthly amount as in 016_analytics_history).
    "analytics_add_on_mrr": (
        """
        SELECT u.add_on_id, count(*)::int AS subscribers,
               sum(coalesce(round(u.recurring_amount / CASE u.billing_type WHEN 'monthly' THEN 1
                   WHEN 'annual' THEN 12 WHEN 'usage_based' THEN 1 END, 2), 0))::numeric(12, 2)
               AS mrr
        FROM user_add_ons u WHERE u.status = 'active'
        GROUP BY u.add_on_id
        """,
        ("add_on_id",),
    ),
    # The funnel: distinct visitors reaching each step per UTC day.
    "analytics_funnel_daily": (
        """
        SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, step,
               count(DISTINCT visitor)::int AS visitors
        FROM funnel_events GROUP BY 1, 2
        """,
        ("day", "step"),
    ),
}


def upgrade():
    op.create_table(
        "funnel_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column(
            "occurred_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("visitor", sa.String(255), nullable=False),
        sa.Column("step", sa.String(20), nullable=False),
        sa.CheckConstraint("step IN ('cart', 'checkout', 'paid')", name="ck_funnel_events_step"),
        sa.PrimaryKeyConstraint("id", name="pk_funnel_events"),
    )
    op.create_table(
        "analytics_refreshes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Numeric(10, 3), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_analytics_refreshes"),
    )
    # The analytics page's "as of": the latest refresh.
    op.create_index("idx_analytics_refreshes_started", "analytics_refreshes", ["started_at"])
    # The analytics page's "expiring in 30 days, renewal off": a range of expiries.
    op.create_index(
        "idx_user_add_ons_expiring_not_renewing",
        "user_add_ons",
        ["expires_at"],
        postgresql_where=sa.text("status = 'active' AND NOT auto_renew AND expires_at IS NOT NULL"),
    )
    for name, (query, key) in VIEWS.items():
        op.execute(f"CREATE MATERIALIZED VIEW {name} AS {query}")
        op.execute(f"CREATE UNIQUE INDEX {name}_key ON {name} ({', '.join(key)})")


def downgrade():
    for name in reversed(VIEWS):
        op.execute(f"DROP MATERIALIZED VIEW {name}")
    op.drop_index("idx_user_add_ons_expiring_not_renewing", table_name="user_add_ons")
    op.drop_index("idx_analytics_refreshes_started", table_name="analytics_refreshes")
    op.drop_table("analytics_refreshes")
    op.drop_table("funnel_events")
