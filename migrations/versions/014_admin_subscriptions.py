"""Admin subscriptions: indexes for the subscription list's order and filters, the Stripe
events' time, and who granted a complimentary add-on (and why) on its zero-amount purchase.

Revision ID: 014_admin_subscriptions
Revises: 013_refunds
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "014_admin_subscriptions"
down_revision = "013_refunds"
branch_labels = None
depends_on = None


def upgrade():
    # The admin subscription list (marketplace/admin/subscriptions/queries.py): ORDER BY
    # created_at DESC, id DESC LIMIT 51 after the keyset `(created_at, id) < (:last, :id)`,
    # unfiltered, by status or by add-on — each a backward index scan that stops after a page.
    op.create_index("idx_user_add_ons_created", "user_add_ons", ["created_at", "id"])
    op.create_index(
        "idx_user_add_ons_status_created", "user_add_ons", ["status", "created_at", "id"]
    )
    op.create_index(
        "idx_user_add_ons_add_on_created", "user_add_ons", ["add_on_id", "created_at", "id"]
    )
    # The operations page's Stripe events, newest first (processed_at DESC, id DESC).
    op.create_index("idx_stripe_events_processed", "stripe_events", ["processed_at", "id"])
    op.add_column("add_on_purchases", sa.Column("granted_by", sa.String(255), nullable=True))
    op.add_column("add_on_purchases", sa.Column("grant_reason", sa.Text(), nullable=True))


def downgrade():
    op.drop_column("add_on_purchases", "grant_reason")
    op.drop_column("add_on_purchases", "granted_by")
    op.drop_index("idx_stripe_events_processed", table_name="stripe_events")
    op.drop_index("idx_user_add_ons_add_on_created", table_name="user_add_ons")
    op.drop_index("idx_user_add_ons_status_created", table_name="user_add_ons")
    op.drop_index("idx_user_add_ons_created", table_name="user_add_ons")
