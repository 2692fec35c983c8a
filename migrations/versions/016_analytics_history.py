"""Analytics history: each subscription's recurring amount, and every change of its MRR.

`user_add_ons.recurring_amount` and `billing_type` are what a subscription renews at and how
it was sold, stored at fulfilment (backfilled here from the purchase that created it: the
amount charged with its promo discount added back). `subscription_changes` holds a row per
change of a subscription's status or monthly amount (backfilled: when it started and, for one
no longer active, when it stopped).

Revision ID: 016_analytics_history
Revises: 015_webhooks
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "016_analytics_history"
down_revision = "015_webhooks"
branch_labels = None
depends_on = None

# A subscription's monthly amount (marketplace/subscription_history.py builds the same).
MONTHLY = (
    "coalesce(round(u.recurring_amount / CASE u.billing_type WHEN 'monthly' THEN 1 "
    "WHEN 'annual' THEN 12 WHEN 'usage_based' THEN 1 END, 2), 0)"
)


def upgrade():
    op.add_column(
        "user_add_ons",
        sa.Column("recurring_amount", sa.Numeric(10, 2), server_default="0", nullable=False),
    )
    op.add_column("user_add_ons", sa.Column("billing_type", sa.String(50), nullable=True))
    op.create_check_constraint(
        op.f("ck_user_add_ons_recurring_amount_not_negative"),
        "user_add_ons",
        "recurring_amount >= 0",
    )
    op.create_table(
        "subscription_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("user_add_on_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("add_on_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(50), nullable=False),
        sa.Column("mrr", sa.Numeric(10, 2), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_add_on_id"],
            ["user_add_ons.id"],
            name="fk_subscription_changes_user_add_on_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_subscription_changes"),
    )
    # A subscription's latest row (subscription_history.record writes only real changes) and
    # the foreign key's index.
    op.create_index(
        "idx_subscription_changes_subscription",
        "subscription_changes",
        ["user_add_on_id", "occurred_at", "id"],
    )
    op.execute(
        """
        UPDATE user_add_ons u
        SET recurring_amount = sold.amount, billing_type = sold.billing_type
        FROM (
            SELECT DISTINCT ON (p.user_id, p.add_on_id)
                   p.user_id, p.add_on_id,
                   coalesce(p.billing_type, a.billing_type) AS billing_type,
                   p.amount + coalesce((SELECT sum(d.amount) FROM purchase_discounts d
                                        WHERE d.purchase_id = p.id AND d.kind = 'promo'), 0)
                       AS amount
            FROM add_on_purchases p JOIN add_ons a ON a.id = p.add_on_id
            WHERE p.status IN ('completed', 'refunded')
            ORDER BY p.user_id, p.add_on_id, p.completed_at DESC NULLS LAST, p.purchased_at DESC
        ) sold
        WHERE u.user_id = sold.user_id AND u.add_on_id = sold.add_on_id
        """
    )
    op.execute(
        f"""
        INSERT INTO subscription_changes
            (user_add_on_id, user_id, add_on_id, occurred_at, status, mrr)
        SELECT u.id, u.user_id, u.add_on_id, u.purchased_at, 'active', {MONTHLY}
        FROM user_add_ons u
        UNION ALL
        SELECT u.id, u.user_id, u.add_on_id,
               greatest(u.purchased_at, coalesce(u.cancelled_at, least(u.expires_at, now()),
                                                 u.updated_at)),
               u.status, 0
        FROM user_add_ons u WHERE u.status <> 'active'
        """
    )


def downgrade():
    op.drop_index("idx_subscription_changes_subscription", table_name="subscription_changes")
    op.drop_table("subscription_changes")
    # Dropping the column drops its CHECK constraint.
    op.drop_column("user_add_ons", "billing_type")
    op.drop_column("user_add_ons", "recurring_amount")
