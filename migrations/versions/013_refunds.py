"""Admin refunds: one row per provider refund and one per order line it gave money back for.

A line's `refund_amount` can hold only a total; several partial refunds of one line, each with
its reason, admin and provider id, need rows of their own.

Revision ID: 013_refunds
Revises: 012_admin_orders
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "013_refunds"
down_revision = "012_admin_orders"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "refunds",
        sa.Column("id", sa.Uuid, nullable=False, server_default=sa.text("gen_random_uuid()")),
        sa.Column("order_id", sa.Uuid, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("provider_refund_id", sa.String(255), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_refunds"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_refunds_order_id", ondelete="RESTRICT"
        ),
        # A refund request already made is found by its key (admin/orders/refunds.py).
        sa.UniqueConstraint("idempotency_key", name="uq_refunds_idempotency_key"),
    )
    # The order page's refunds, oldest first: WHERE order_id = :order ORDER BY created_at.
    op.create_index("idx_refunds_order", "refunds", ["order_id", "created_at"])
    op.create_table(
        "refund_lines",
        sa.Column("id", sa.Uuid, nullable=False, server_default=sa.text("gen_random_uuid()")),
        sa.Column("refund_id", sa.Uuid, nullable=False),
        sa.Column("purchase_id", sa.Uuid, nullable=False),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_refund_lines"),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name="fk_refund_lines_refund_id", ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["add_on_purchases.id"],
            name="fk_refund_lines_purchase_id",
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint("amount > 0", name="ck_refund_lines_amount_positive"),
        # A refund's lines, loaded with the refund (this index leads with refund_id).
        sa.UniqueConstraint("refund_id", "purchase_id", name="uq_refund_lines_refund_purchase"),
    )
    # A purchase's refunds (the foreign key's index; the receipt and customer pages by line).
    op.create_index("idx_refund_lines_purchase", "refund_lines", ["purchase_id"])


def downgrade():
    op.drop_table("refund_lines")
    op.drop_table("refunds")
