"""Outgoing events: webhook endpoints, the events emitted, the delivery log; outbox entries
whose retries ran out are `failed`.

Revision ID: 015_webhooks
Revises: 014_admin_subscriptions
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "015_webhooks"
down_revision = "014_admin_subscriptions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Uuid, server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("description", sa.String(200)),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("event_types", postgresql.ARRAY(sa.String(50)), nullable=False),
        sa.Column("is_active", sa.Boolean, server_default="true", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_endpoints"),
    )
    op.execute(
        "CREATE TRIGGER webhook_endpoints_updated_at BEFORE UPDATE ON webhook_endpoints "
        "FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()"
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("type", sa.String(50), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("data", postgresql.JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_events"),
        sa.UniqueConstraint("seq", name="uq_webhook_events_seq"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("endpoint_id", sa.Uuid, nullable=False),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("outbox_entry_id", sa.Uuid),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response_code", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("delivered", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name="fk_webhook_deliveries_endpoint_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["webhook_events.id"],
            name="fk_webhook_deliveries_event_id",
            ondelete="CASCADE",
        ),
    )
    # The endpoint page's delivery log, newest first (marketplace/events/queries.py
    # `delivery_log`): WHERE endpoint_id = :id ORDER BY attempted_at DESC, id DESC, keyset.
    op.create_index(
        "idx_webhook_deliveries_endpoint",
        "webhook_deliveries",
        ["endpoint_id", "attempted_at", "id"],
    )
    # The foreign key to the event (its attempts; deleting an event finds them).
    op.create_index("idx_webhook_deliveries_event", "webhook_deliveries", ["event_id"])
    _outbox_statuses("'pending', 'delivered', 'failed'")


def downgrade():
    op.execute("DELETE FROM billing_outbox WHERE status = 'failed'")
    _outbox_statuses("'pending', 'delivered'")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_events")
    op.drop_table("webhook_endpoints")


def _outbox_statuses(statuses: str) -> None:
    op.drop_constraint("ck_billing_outbox_status", "billing_outbox", type_="check")
    op.create_check_constraint(
        "ck_billing_outbox_status", "billing_outbox", f"status IN ({statuses})"
    )
