"""Orders: one per checkout or renewal the provider collected, with a human number once paid,
and each line's discounts itemised.

An order's lines are its `add_on_purchases` rows (`order_id`); what they were charged, refunded
and why stays on them. The order adds what belongs to the checkout as a whole: the number, the
totals the shopper paid (tax included), the payment reference and a status derived from the
lines.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Sequence, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.base import Base, Money, Timestamp, Timestamps, UuidPrimaryKey
from marketplace.vocabulary import DiscountKind, OrderStatus, sql_list

if TYPE_CHECKING:
    from marketplace.models.purchases import AddOnPurchase

# Order numbers: MKT-<year paid>-<next value, 6 digits or more>. A sequence never hands out a
# value twice, also to fulfilments running at once (migration 005_orders creates it).
ORDER_NUMBERS = Sequence("order_number_seq", metadata=Base.metadata)


class Order(UuidPrimaryKey, Timestamps, Base):
    """One checkout (or renewal invoice): its lines, the amounts the shopper paid, and where the
    payment stands."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_list(OrderStatus)})", name="status"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso_4217"),
        CheckConstraint("subtotal >= 0", name="subtotal_not_negative"),
        CheckConstraint("tax IS NULL OR tax >= 0", name="tax_not_negative"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("number IS NULL OR paid_at IS NOT NULL", name="numbered_when_paid"),
        Index("idx_orders_user_date", "user_id", text("created_at DESC")),
        # The admin order list, unfiltered or by status (migration 012_admin_orders).
        Index("idx_orders_created", "created_at", "id"),
        Index("idx_orders_status_created", "status", "created_at", "id"),
        Index(
            "idx_orders_checkout_session",
            "checkout_session_id",
            postgresql_where=text("checkout_session_id IS NOT NULL"),
        ),
    )

    # Given when the order is first paid, never changed after (see orders.service).
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    user_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(30), server_default=OrderStatus.PENDING.value)
    currency: Mapped[str] = mapped_column(String(3), server_default="USD")
    # Before any discount (the lines' unit price × quantity).
    subtotal: Mapped[Decimal] = mapped_column(Money)
    # What the payment provider computed; None: no tax was collected.
    tax: Mapped[Decimal | None] = mapped_column(Money)
    # What the shopper was charged: after every discount, tax included.
    total: Mapped[Decimal] = mapped_column(Money)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255))
    # A renewal the provider collected: its invoice (unique, so an invoice is one order however
    # often it is delivered). None for a checkout.
    invoice_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_reference: Mapped[str | None] = mapped_column(String(255))
    paid_at: Mapped[datetime | None] = mapped_column(Timestamp)

    lines: Mapped[list[AddOnPurchase]] = relationship(
        back_populates="order", order_by="(AddOnPurchase.created_at, AddOnPurchase.id)"
    )


class PurchaseDiscount(UuidPrimaryKey, Base):
    """One discount on one order line: a tier price, a bundle or a promo code, and its amount."""

    __tablename__ = "purchase_discounts"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_list(DiscountKind)})", name="kind"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("idx_purchase_discounts_purchase", "purchase_id"),
    )

    purchase_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("add_on_purchases.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(20))
    # As the receipt names it: "Pro tier price", "AI Productivity Suite bundle", "Code SAVE20".
    label: Mapped[str] = mapped_column(String(255))
    amount: Mapped[Decimal] = mapped_column(Money)
