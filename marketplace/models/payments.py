"""Checkout bookkeeping: Stripe events already handled, and Lago calls still owed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.base import Base, Timestamp, UuidPrimaryKey
from marketplace.vocabulary import OutboxStatus, sql_list


class StripeEvent(Base):
    """A webhook event that was handled; its id makes redelivery a no-op."""

    __tablename__ = "stripe_events"
    # The operations page's event list, newest first (migration 014_admin_subscriptions).
    __table_args__ = (Index("idx_stripe_events_processed", "processed_at", "id"),)

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class BillingOutboxEntry(UuidPrimaryKey, Base):
    """A Lago or Stripe call owed since a commit (`kind` names it); delivered later, retried."""

    __tablename__ = "billing_outbox"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_list(OutboxStatus)})", name="status"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index(
            "idx_billing_outbox_due", "next_attempt_at", postgresql_where=text("status = 'pending'")
        ),
    )

    kind: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), server_default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(Timestamp)
