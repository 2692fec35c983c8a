"""What a user holds: one subscription row per user and add-on."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.base import Base, Money, Timestamp, Timestamps, UuidPrimaryKey
from marketplace.models.catalog import AddOn
from marketplace.vocabulary import SubscriptionStatus, sql_list


class UserAddOn(UuidPrimaryKey, Timestamps, Base):
    """A shopper's holding of an add-on: its status, expiry and renewal."""

    __tablename__ = "user_add_ons"
    __table_args__ = (
        UniqueConstraint("user_id", "add_on_id"),
        CheckConstraint(f"status IN ({sql_list(SubscriptionStatus)})", name="status"),
        CheckConstraint("recurring_amount >= 0", name="recurring_amount_not_negative"),
        Index(
            "idx_user_add_ons_user_id",
            "user_id",
            "add_on_id",
            postgresql_where=text("status = 'active'"),
            postgresql_include=["expires_at"],
        ),
        Index("idx_user_add_ons_add_on_id", "add_on_id"),
        Index(
            "idx_user_add_ons_active_expiry",
            "expires_at",
            postgresql_where=text("status = 'active' AND expires_at IS NOT NULL"),
        ),
        Index("idx_user_add_ons_status", "status", "add_on_id"),
        # The admin subscription list, newest first: unfiltered, by status, by add-on
        # (migration 014_admin_subscriptions).
        Index("idx_user_add_ons_created", "created_at", "id"),
        Index("idx_user_add_ons_status_created", "status", "created_at", "id"),
        Index("idx_user_add_ons_add_on_created", "add_on_id", "created_at", "id"),
        # Analytics: expiring soon with renewal off, counted and summed from the index alone
        # (017_analytics_rollups; covering since 020_analytics_incremental).
        Index(
            "idx_user_add_ons_expiring_not_renewing",
            "expires_at",
            postgresql_include=["status", "recurring_amount", "billing_type"],
            postgresql_where=text(
                "status = 'active' AND NOT auto_renew AND expires_at IS NOT NULL"
            ),
        ),
        Index(
            "idx_user_add_ons_lago_subscription",
            "lago_subscription_id",
            postgresql_where=text("lago_subscription_id IS NOT NULL"),
        ),
        Index(
            "idx_user_add_ons_stripe_subscription",
            "stripe_subscription_id",
            postgresql_where=text("stripe_subscription_id IS NOT NULL"),
        ),
    )

    user_id: Mapped[str] = mapped_column(String(255))
    # RESTRICT: a product with subscribers is deactivated, never deleted.
    add_on_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("add_ons.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(50), server_default=SubscriptionStatus.ACTIVE.value)
    purchased_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    # NULL for lifetime (one-time) purchases.
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    lago_subscription_id: Mapped[str | None] = mapped_column(String(255))
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255))
    auto_renew: Mapped[bool] = mapped_column(Boolean, server_default="true")
    cancelled_at: Mapped[datetime | None] = mapped_column(Timestamp)
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    # What it renews at per period (after tier and bundle discounts, before a one-off promo
    # code) and how it was sold, stored at fulfilment: MRR reads these, never today's list
    # price. No billing type: nothing was sold (a complimentary grant), so it counts 0.
    recurring_amount: Mapped[Decimal] = mapped_column(Money, server_default="0")
    billing_type: Mapped[str | None] = mapped_column(String(50))

    add_on: Mapped[AddOn] = relationship()
