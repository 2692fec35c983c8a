"""Purchase history: one row per add-on bought in a checkout, never deleted."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.base import Base, Money, Timestamp, Timestamps, UuidPrimaryKey
from marketplace.models.catalog import AddOn
from marketplace.models.orders import Order, PurchaseDiscount
from marketplace.vocabulary import BillingType, PurchaseStatus, sql_list


class AddOnPurchase(UuidPrimaryKey, Timestamps, Base):
    """One add-on bought in a checkout: what was charged, and what became of the payment."""

    __tablename__ = "add_on_purchases"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_list(PurchaseStatus)})", name="status"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso_4217"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("discount_amount >= 0", name="discount_amount_not_negative"),
        CheckConstraint(
            "refund_amount IS NULL OR refund_amount BETWEEN 0 AND amount",
            name="refund_within_amount",
        ),
        Index("idx_add_on_purchases_user_date", "user_id", text("purchased_at DESC")),
        Index("idx_add_on_purchases_add_on_id", "add_on_id"),
        Index("idx_add_on_purchases_status_date", "status", "purchased_at"),
        Index("idx_add_on_purchases_date", "purchased_at"),
        Index(
            "idx_add_on_purchases_pending",
            "created_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "idx_add_on_purchases_checkout_session",
            "checkout_session_id",
            postgresql_where=text("checkout_session_id IS NOT NULL"),
        ),
        Index(
            "idx_add_on_purchases_stripe_payment",
            "stripe_payment_id",
            postgresql_where=text("stripe_payment_id IS NOT NULL"),
        ),
        Index(
            "idx_add_on_purchases_promo_code",
            "promo_code_id",
            postgresql_where=text("promo_code_id IS NOT NULL"),
        ),
        Index("idx_add_on_purchases_order", "order_id"),
        # The admin order list by add-on: its orders' ids from the index alone (012_admin_orders).
        Index("idx_add_on_purchases_add_on_order", "add_on_id", "order_id"),
        # The analytics page's promo codes reserved now: their pending checkouts.
        Index(
            "idx_add_on_purchases_pending_promo",
            "promo_code_id",
            postgresql_include=["order_id", "checkout_session_id", "id"],
            postgresql_where=text("status = 'pending' AND promo_code_id IS NOT NULL"),
        ),
        # An incremental analytics refresh: the charges and refunds since a time.
        Index(
            "idx_add_on_purchases_completed",
            "completed_at",
            postgresql_where=text("completed_at IS NOT NULL"),
        ),
        Index(
            "idx_add_on_purchases_refunded",
            "refunded_at",
            postgresql_where=text("refunded_at IS NOT NULL"),
        ),
    )

    user_id: Mapped[str] = mapped_column(String(255))
    # RESTRICT: deleting a product never deletes what was sold.
    add_on_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("add_ons.id", ondelete="RESTRICT"))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), server_default="USD")
    stripe_payment_id: Mapped[str | None] = mapped_column(String(255))
    lago_invoice_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(50), server_default=PurchaseStatus.PENDING.value)
    purchased_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    quantity: Mapped[int] = mapped_column(Integer, server_default="1")
    # The billing type at the time of sale (the product's may change later).
    billing_type: Mapped[str | None] = mapped_column(String(50))
    discount_amount: Mapped[Decimal] = mapped_column(Money, server_default="0")
    promo_code_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("promotional_codes.id", ondelete="SET NULL")
    )
    checkout_session_id: Mapped[str | None] = mapped_column(String(255))
    completed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    refund_amount: Mapped[Decimal | None] = mapped_column(Money)
    refunded_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # Shown to the shopper, e.g. why a payment for an add-on they already held was refunded.
    refund_reason: Mapped[str | None] = mapped_column(Text)
    # The checkout's order (RESTRICT: an order with lines is never deleted). Nullable, so SQL
    # written against the guide's columns still inserts.
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"))
    # A complimentary add-on an admin granted (amount 0): who granted it, and why.
    granted_by: Mapped[str | None] = mapped_column(String(255))
    grant_reason: Mapped[str | None] = mapped_column(Text)

    add_on: Mapped[AddOn] = relationship()
    order: Mapped[Order | None] = relationship(back_populates="lines")
    discounts: Mapped[list[PurchaseDiscount]] = relationship(cascade="all, delete-orphan")

    @property
    def billing(self) -> BillingType:
        """How this line was charged: its own billing type, else (older rows) the add-on's."""
        return BillingType(self.billing_type or self.add_on.billing_type)
