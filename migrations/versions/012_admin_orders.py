"""Admin orders and customers: indexes for the order list's order and filters, and the
customer search by e-mail.

Revision ID: 012_admin_orders
Revises: 010_admin_pricing
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "012_admin_orders"
down_revision = "010_admin_pricing"
branch_labels = None
depends_on = None


def upgrade():
    # The admin order list (marketplace/admin/orders/queries.py `order_list`) unfiltered or by
    # date range: ORDER BY created_at DESC, id DESC LIMIT 51, the keyset condition
    # `(created_at, id) < (:last, :id)` starting the (backward) scan where the page begins.
    op.create_index("idx_orders_created", "orders", ["created_at", "id"])
    # The same list filtered by status: `WHERE status = :status` in that order.
    op.create_index("idx_orders_status_created", "orders", ["status", "created_at", "id"])
    # The same list filtered by add-on: `orders.id IN (SELECT order_id FROM add_on_purchases
    # WHERE add_on_id = :add_on AND order_id IS NOT NULL)`, read from the index alone (an
    # index-only scan; idx_add_on_purchases_add_on_id would visit every line's heap page).
    op.create_index(
        "idx_add_on_purchases_add_on_order", "add_on_purchases", ["add_on_id", "order_id"]
    )
    # The admin customer search (marketplace/admin/customers/queries.py `customer_list`):
    # `lower(email) LIKE :prefix || '%'`, whatever the database's collation.
    op.create_index(
        "idx_shopper_contacts_email_prefix",
        "shopper_contacts",
        [sa.text("lower(email) text_pattern_ops")],
    )


def downgrade():
    op.drop_index("idx_shopper_contacts_email_prefix", table_name="shopper_contacts")
    op.drop_index("idx_add_on_purchases_add_on_order", table_name="add_on_purchases")
    op.drop_index("idx_orders_status_created", table_name="orders")
    op.drop_index("idx_orders_created", table_name="orders")
