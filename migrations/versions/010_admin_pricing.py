"""Admin pricing: promo codes remember the batch generation that made them.

Revision ID: 010_admin_pricing
Revises: 008_admin_audit
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "010_admin_pricing"
down_revision = "008_admin_audit"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("promotional_codes", sa.Column("batch_id", sa.Uuid(), nullable=True))
    # A batch's CSV export (marketplace/admin/promos/queries.py `batch_codes`): WHERE batch_id =
    # :batch ORDER BY code, read in code order straight from the index; only batch codes in it.
    op.create_index(
        "idx_promotional_codes_batch",
        "promotional_codes",
        ["batch_id", "code"],
        postgresql_where=sa.text("batch_id IS NOT NULL"),
    )


def downgrade():
    op.drop_index("idx_promotional_codes_batch", table_name="promotional_codes")
    op.drop_column("promotional_codes", "batch_id")
