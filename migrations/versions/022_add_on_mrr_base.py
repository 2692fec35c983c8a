"""Per-add-on MRR kept from the day's subscription changes: `analytics_add_on_mrr_base` holds
each add-on's active subscriptions and MRR before the day an incremental refresh starts from,
so that refresh adds the changes since instead of re-summing every changed add-on's
subscriptions. Only a full refresh fills it, so the refresh log is emptied: the next refresh,
even `--incremental`, is a full one.

Revision ID: 022_add_on_mrr_base
Revises: 021_entitlement_notify
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "022_add_on_mrr_base"
down_revision = "021_entitlement_notify"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "analytics_add_on_mrr_base",
        sa.Column("add_on_id", sa.Uuid(), nullable=False),
        sa.Column("subscribers", sa.Integer(), nullable=False),
        sa.Column("mrr", sa.Numeric(14, 2), nullable=False),
        sa.PrimaryKeyConstraint("add_on_id", name="pk_analytics_add_on_mrr_base"),
    )
    op.execute("DELETE FROM analytics_refreshes")


def downgrade():
    op.drop_table("analytics_add_on_mrr_base")
