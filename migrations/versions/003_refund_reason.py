"""Refunds say why: the reason a purchase was refunded (automatic or by an admin).

Revision ID: 003_refund_reason
Revises: 002_checkout
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "003_refund_reason"
down_revision = "002_checkout"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("add_on_purchases", sa.Column("refund_reason", sa.Text))


def downgrade():
    op.drop_column("add_on_purchases", "refund_reason")
