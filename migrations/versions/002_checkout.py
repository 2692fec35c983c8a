"""Checkout: processed Stripe webhook events and the durable Lago billing outbox.

Revision ID: 002_checkout
Revises: 001_extensions_marketplace
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "002_checkout"
down_revision = "001_extensions_marketplace"
branch_labels = None
depends_on = None


def upgrade():
    # One row per Stripe event handled; the primary key is the deduplication (INSERT … ON
    # CONFLICT DO NOTHING in the handler's transaction).
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stripe_events"),
    )
    # Lago calls owed after a commit: written in the fulfilment transaction, delivered after it.
    op.create_table(
        "billing_outbox",
        sa.Column("id", sa.Uuid, nullable=False, server_default=sa.text("gen_random_uuid()")),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_billing_outbox"),
        sa.CheckConstraint("status IN ('pending', 'delivered')", name="ck_billing_outbox_status"),
        sa.CheckConstraint("attempts >= 0", name="ck_billing_outbox_attempts_not_negative"),
    )
    # `flask maintain sync-billing` and the after-commit delivery: pending entries that are
    # due (status = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at).
    op.create_index(
        "idx_billing_outbox_due",
        "billing_outbox",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade():
    op.drop_table("billing_outbox")
    op.drop_table("stripe_events")
