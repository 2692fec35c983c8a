"""Shopper contacts: the e-mail address transactional mail goes to, kept from sign-in.

Revision ID: 006_shopper_contacts
Revises: 005_orders
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "006_shopper_contacts"
down_revision = "005_orders"
branch_labels = None
depends_on = None


def upgrade():
    # Sign-in upserts the user's row (INSERT … ON CONFLICT (user_id)); mail delivery reads it by
    # primary key (marketplace.mail.letters). No other index: nothing looks a user up by address.
    op.create_table(
        "shopper_contacts",
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_shopper_contacts"),
    )
    op.execute(
        "CREATE TRIGGER shopper_contacts_updated_at BEFORE UPDATE ON shopper_contacts "
        "FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()"
    )


def downgrade():
    op.drop_table("shopper_contacts")
