"""JSON API: idempotency keys of the POSTs that move money, and the promo code of an API cart.

Revision ID: 018_api_idempotency
Revises: 017_analytics_rollups
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "018_api_idempotency"
down_revision = "017_analytics_rollups"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_idempotency_keys",
        sa.Column("caller", sa.String(255), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("operation", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("response", postgresql.JSONB(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status BETWEEN 100 AND 599", name=op.f("ck_api_idempotency_keys_status_is_http")
        ),
        sa.PrimaryKeyConstraint("caller", "key", name=op.f("pk_api_idempotency_keys")),
    )
    op.create_table(
        "cart_promo_codes",
        sa.Column("owner_id", sa.String(255), nullable=False),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column(
            "applied_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_cart_promo_codes")),
    )


def downgrade():
    op.drop_table("cart_promo_codes")
    op.drop_table("api_idempotency_keys")
