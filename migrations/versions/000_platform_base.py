"""Platform tables the marketplace references: subscription_tiers, feature_definitions.

On a platform database these already exist and are left untouched; on a fresh database
(development, CI) they are created here. Each table this revision creates is marked with a
comment, so the downgrade drops only what it made.

Revision ID: 000_platform_base
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "000_platform_base"
down_revision = None
branch_labels = None
depends_on = None

CREATED_HERE = "created by marketplace revision 000_platform_base"


def upgrade():
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "subscription_tiers" not in existing:
        op.create_table(
            "subscription_tiers",
            sa.Column("code", sa.String(50)),
            sa.Column("name", sa.String(100), nullable=False),
            sa.Column("description", sa.Text),
            sa.Column("monthly_price", sa.Numeric(10, 2)),
            sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
            sa.Column("is_active", sa.Boolean, nullable=False, server_default="true"),
            sa.Column(
                "created_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.now(),
            ),
            sa.PrimaryKeyConstraint("code", name="pk_subscription_tiers"),
            comment=CREATED_HERE,
        )
    if "feature_definitions" not in existing:
        op.create_table(
            "feature_definitions",
            sa.Column("key", sa.String(100)),
            sa.Column("name", sa.String(255), nullable=False),
            sa.Column("description", sa.Text),
            sa.Column("category", sa.String(100)),
            sa.Column(
                "created_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.now(),
            ),
            sa.PrimaryKeyConstraint("key", name="pk_feature_definitions"),
            comment=CREATED_HERE,
        )


def downgrade():
    for table in ("feature_definitions", "subscription_tiers"):
        comment = sa.inspect(op.get_bind()).get_table_comment(table).get("text")
        if comment == CREATED_HERE:
            op.drop_table(table)
