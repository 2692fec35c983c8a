"""Renewal orders: a renewal the payment provider collects is recorded as a paid order, one per
provider invoice. `orders.invoice_id` names that invoice; its unique constraint makes a second
delivery of the invoice (under any event id) find the order instead of writing another.

Revision ID: 023_renewal_orders
Revises: 022_add_on_mrr_base
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "023_renewal_orders"
down_revision = "022_add_on_mrr_base"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("orders", sa.Column("invoice_id", sa.String(255), nullable=True))
    # Its index also serves the lookup of a renewal's order by invoice (ON CONFLICT).
    op.create_unique_constraint("uq_orders_invoice_id", "orders", ["invoice_id"])


def downgrade():
    op.drop_constraint("uq_orders_invoice_id", "orders", type_="unique")
    op.drop_column("orders", "invoice_id")
