"""Orders: one per checkout, numbered when paid, lines' discounts itemised; existing checkouts
backfilled.

Revision ID: 005_orders
Revises: 004_session_generations
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "005_orders"
down_revision = "004_session_generations"
branch_labels = None
depends_on = None

STATUSES = "'pending', 'paid', 'partially_refunded', 'refunded', 'failed', 'expired'"
KINDS = "'tier', 'bundle', 'promo', 'other'"


def upgrade():
    # Order numbers (orders.service.assign_number: nextval when an order is first paid).
    op.execute("CREATE SEQUENCE order_number_seq")
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid, nullable=False, server_default=sa.text("gen_random_uuid()")),
        sa.Column("number", sa.String(32)),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(30), nullable=False, server_default="pending"),
        sa.Column("currency", sa.String(3), nullable=False, server_default="USD"),
        sa.Column("subtotal", sa.Numeric(10, 2), nullable=False),
        sa.Column("tax", sa.Numeric(10, 2)),
        sa.Column("total", sa.Numeric(10, 2), nullable=False),
        sa.Column("checkout_session_id", sa.String(255)),
        sa.Column("payment_reference", sa.String(255)),
        sa.Column("paid_at", sa.DateTime(timezone=True)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        # The unique index also finds an order by the number a shopper quotes.
        sa.UniqueConstraint("number", name="uq_orders_number"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="ck_orders_status"),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ck_orders_currency_iso_4217"),
        sa.CheckConstraint("subtotal >= 0", name="ck_orders_subtotal_not_negative"),
        sa.CheckConstraint("tax IS NULL OR tax >= 0", name="ck_orders_tax_not_negative"),
        sa.CheckConstraint("total >= 0", name="ck_orders_total_not_negative"),
        sa.CheckConstraint(
            "number IS NULL OR paid_at IS NOT NULL", name="ck_orders_numbered_when_paid"
        ),
    )
    op.execute(
        "CREATE TRIGGER orders_updated_at BEFORE UPDATE ON orders "
        "FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()"
    )
    # The purchases page: a user's orders, newest first (orders.queries.order_history), and the
    # since/until filters.
    op.create_index("idx_orders_user_date", "orders", ["user_id", sa.text("created_at DESC")])
    # The success page finds the order of a checkout session (orders.queries.order_of_session).
    op.create_index(
        "idx_orders_checkout_session",
        "orders",
        ["checkout_session_id"],
        postgresql_where=sa.text("checkout_session_id IS NOT NULL"),
    )
    op.add_column("add_on_purchases", sa.Column("order_id", sa.Uuid))
    op.create_foreign_key(
        "fk_add_on_purchases_order_id",
        "add_on_purchases",
        "orders",
        ["order_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    # An order's lines (receipts, the purchases page, fulfilment updating the order).
    op.create_index("idx_add_on_purchases_order", "add_on_purchases", ["order_id"])
    op.create_table(
        "purchase_discounts",
        sa.Column("id", sa.Uuid, nullable=False, server_default=sa.text("gen_random_uuid()")),
        sa.Column("purchase_id", sa.Uuid, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_purchase_discounts"),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["add_on_purchases.id"],
            name="fk_purchase_discounts_purchase_id",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(f"kind IN ({KINDS})", name="ck_purchase_discounts_kind"),
        sa.CheckConstraint("amount > 0", name="ck_purchase_discounts_amount_positive"),
    )
    # A line's discounts, loaded with the order's lines (receipts).
    op.create_index("idx_purchase_discounts_purchase", "purchase_discounts", ["purchase_id"])
    _backfill()


def _backfill():
    """One order per existing checkout session (per user), one per purchase without a session;
    numbers in order of purchase for the orders that were paid."""
    op.execute(
        """
        CREATE TEMPORARY TABLE backfill_groups ON COMMIT DROP AS
        SELECT id AS purchase_id,
               CASE WHEN checkout_session_id IS NULL THEN 'p:' || id::text
                    ELSE 's:' || user_id || ':' || checkout_session_id END AS group_key
        FROM add_on_purchases
        """
    )
    op.execute(
        f"""
        CREATE TEMPORARY TABLE backfill_orders ON COMMIT DROP AS
        SELECT gen_random_uuid() AS id, g.group_key,
               min(p.user_id) AS user_id,
               min(p.currency) AS currency,
               sum(p.amount + p.discount_amount) AS subtotal,
               sum(p.amount) AS total,
               min(p.checkout_session_id) AS checkout_session_id,
               max(p.stripe_payment_id) AS payment_reference,
               min(p.purchased_at) AS created_at,
               {_STATUS} AS status,
               CASE WHEN bool_or(p.status IN ('completed', 'refunded'))
                    THEN coalesce(min(p.completed_at), min(p.purchased_at)) END AS paid_at
        FROM add_on_purchases p JOIN backfill_groups g ON g.purchase_id = p.id
        GROUP BY g.group_key
        """
    )
    op.execute(
        """
        INSERT INTO orders (id, number, user_id, status, currency, subtotal, total,
                            checkout_session_id, payment_reference, paid_at, created_at)
        SELECT id,
               CASE WHEN paid_at IS NOT NULL THEN
                 'MKT-' || to_char(paid_at AT TIME ZONE 'UTC', 'YYYY') || '-' ||
                 lpad(n::text, greatest(6, length(n::text)), '0') END,
               user_id, status, currency, subtotal, total, checkout_session_id,
               payment_reference, paid_at, created_at
        FROM (SELECT o.*, row_number() OVER (
                  PARTITION BY o.paid_at IS NOT NULL ORDER BY o.created_at, o.id) AS n
              FROM backfill_orders o) numbered
        """
    )
    op.execute(
        """
        SELECT setval('order_number_seq', count(*), true) FROM orders
        WHERE number IS NOT NULL HAVING count(*) > 0
        """
    )
    op.execute(
        """
        UPDATE add_on_purchases p SET order_id = o.id
        FROM backfill_groups g JOIN backfill_orders o ON o.group_key = g.group_key
        WHERE g.purchase_id = p.id
        """
    )
    op.execute(
        """
        INSERT INTO purchase_discounts (purchase_id, kind, label, amount)
        SELECT p.id, 'other',
               CASE WHEN c.code IS NULL THEN 'Discount' ELSE 'Discount (' || c.code || ')' END,
               p.discount_amount
        FROM add_on_purchases p LEFT JOIN promotional_codes c ON c.id = p.promo_code_id
        WHERE p.discount_amount > 0
        """
    )


# The order's status from its lines (the rule of orders.service.derive_status, as of 005).
_STATUS = """
    CASE WHEN bool_or(p.status = 'pending') THEN 'pending'
         WHEN bool_and(p.status = 'failed') THEN 'failed'
         WHEN bool_and(p.status = 'refunded') THEN 'refunded'
         WHEN bool_or(p.status = 'refunded' OR coalesce(p.refund_amount, 0) > 0)
              THEN 'partially_refunded'
         ELSE 'paid' END
"""


def downgrade():
    op.drop_table("purchase_discounts")
    op.drop_index("idx_add_on_purchases_order", table_name="add_on_purchases")
    op.drop_constraint("fk_add_on_purchases_order_id", "add_on_purchases", type_="foreignkey")
    op.drop_column("add_on_purchases", "order_id")
    op.drop_table("orders")
    op.execute("DROP SEQUENCE order_number_seq")
