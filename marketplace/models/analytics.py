"""Analytics records: every change of a subscription's monthly amount, the funnel's events,
and the rollups' refreshes; append-only."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    Numeric,
    String,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.base import Base, Money, Timestamp
from marketplace.vocabulary import FunnelStep, sql_list


class SubscriptionChange(Base):
    """A subscription's status and monthly amount (its MRR share) from `occurred_at` on.

    Written by `marketplace.subscription_history` in the transaction that changed the
    subscription (fulfilment, renewal, cancellation, refund, expiry); MRR over time and its
    movements are read from here, never rebuilt from today's rows.
    """

    __tablename__ = "subscription_changes"
    __table_args__ = (
        # The latest row of a subscription (written only when its amount or status changes).
        Index("idx_subscription_changes_subscription", "user_add_on_id", "occurred_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    # CASCADE: the history goes with the subscription (the demo data set is removed so).
    user_add_on_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_add_ons.id", ondelete="CASCADE")
    )
    # Copies of the subscription's, so the history is read without a join.
    user_id: Mapped[str] = mapped_column(String(255))
    add_on_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    occurred_at: Mapped[datetime] = mapped_column(Timestamp)
    status: Mapped[str] = mapped_column(String(50))
    mrr: Mapped[Decimal] = mapped_column(Money)


class FunnelEvent(Base):
    """A visitor reaching a step of the purchase funnel: cart, checkout or paid (append-only).

    `visitor` is the signed-in user's id, or an anonymous shopper's cart owner id.
    """

    __tablename__ = "funnel_events"
    __table_args__ = (CheckConstraint(f"step IN ({sql_list(FunnelStep)})", name="step"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    visitor: Mapped[str] = mapped_column(String(255))
    step: Mapped[str] = mapped_column(String(20))


class AnalyticsRefresh(Base):
    """One refresh of the analytics rollups: when it started (the figures' "as of")."""

    __tablename__ = "analytics_refreshes"
    __table_args__ = (Index("idx_analytics_refreshes_started", "started_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(Timestamp)
    seconds: Mapped[Decimal] = mapped_column(Numeric(10, 3))
