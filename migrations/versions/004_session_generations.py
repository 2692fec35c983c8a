"""Server-side sign-out: one session generation per user who ever signed out.

Revision ID: 004_session_generations
Revises: 003_refund_reason
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "004_session_generations"
down_revision = "003_refund_reason"
branch_labels = None
depends_on = None


def upgrade():
    # Every signed-in request reads its user's row by primary key (marketplace.auth.sessions);
    # sign-out adds one to `generation` (INSERT … ON CONFLICT DO UPDATE), voiding every session
    # cookie issued before.
    op.create_table(
        "session_generations",
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "signed_out_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_session_generations"),
        sa.CheckConstraint(
            "generation >= 0", name="ck_session_generations_generation_not_negative"
        ),
    )


def downgrade():
    op.drop_table("session_generations")
