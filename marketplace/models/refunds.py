"""Refunds: one per provider refund, split over the order lines it gave back — an admin's
(admin/orders/refunds.py), or one the provider reported on its own through its webhook
(`checkout.lifecycle.refund`).

A line's `refund_amount` stays the running total of everything refunded on it (these refunds
and fulfilment's automatic ones, which have no row); a refund's amount is the sum of its lines.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.base import Base, Money, Timestamp, UuidPrimaryKey
from marketplace.pricing.money import ZERO

if TYPE_CHECKING:
    from marketplace.models.purchases import AddOnPurchase


class Refund(UuidPrimaryKey, Base):
    """Money given back for lines of one order through the payment provider, and why."""

    __tablename__ = "refunds"
    __table_args__ = (
        Index("idx_refunds_order", "order_id", "created_at"),
        # An incremental analytics refresh: the refunds since a time.
        Index("idx_refunds_created", "created_at"),
    )

    # RESTRICT: an order with refunds is never deleted.
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(Text)
    provider_refund_id: Mapped[str] = mapped_column(String(255))
    # Derived from the order's refund state and the request (admin/orders/refunds.py): a double
    # submit, or two admins sending the same refund, find this row and make no second one. For
    # the provider's own refunds, from the webhook event and the order.
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    actor: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(
        Timestamp, nullable=False, server_default=func.now()
    )

    lines: Mapped[list[RefundLine]] = relationship(
        cascade="all, delete-orphan", order_by="RefundLine.id"
    )

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


class RefundLine(UuidPrimaryKey, Base):
    """What one refund gave back of one order line."""

    __tablename__ = "refund_lines"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        UniqueConstraint("refund_id", "purchase_id", name="uq_refund_lines_refund_purchase"),
        Index("idx_refund_lines_purchase", "purchase_id"),
    )

    refund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("refunds.id", ondelete="RESTRICT"))
    purchase_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("add_on_purchases.id", ondelete="RESTRICT")
    )
    amount: Mapped[Decimal] = mapped_column(Money)

    purchase: Mapped[AddOnPurchase] = relationship()
