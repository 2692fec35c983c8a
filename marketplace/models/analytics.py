"""Analytics records: every change of a subscription's monthly amount, the funnel's events,
and the rollups' refreshes (append-only); and the rollup tables the analytics page reads
(written only by `marketplace.maintenance.analytics`, read as SQL: no mapped classes)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
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
        # An incremental analytics refresh: what changed since a time, whose history that is.
        Index("idx_subscription_changes_occurred", "occurred_at"),
        Index("idx_subscription_changes_user", "user_id", "occurred_at"),
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
    __table_args__ = (
        CheckConstraint(f"step IN ({sql_list(FunnelStep)})", name="step"),
        # An incremental analytics refresh: the days since a time.
        Index("idx_funnel_events_occurred", "occurred_at"),
    )

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
    # Only the days touched since the previous refresh (else every day: a full refresh).
    incremental: Mapped[bool] = mapped_column(Boolean, server_default=false())


# The rollups (migration 020_analytics_incremental); their queries in maintenance/analytics.py.
def _money(name: str) -> Column[Decimal]:
    return Column(name, Numeric(14, 2), nullable=False)


def _count(name: str) -> Column[int]:
    return Column(name, Integer, nullable=False)


def _day(primary_key: bool = True) -> Column[date]:
    return Column("day", Date, primary_key=primary_key)


_rollups = Base.metadata
Table(
    "analytics_mrr_daily",
    _rollups,
    _day(),
    Column("movement", String(20), primary_key=True),
    _count("users"),
    _money("amount"),
)
Table(
    "analytics_revenue_daily",
    _rollups,
    _day(),
    Column("category", String(100), primary_key=True),
    Column("billing_type", String(50), primary_key=True),
    _money("charged"),
    _money("refunded"),
    _count("charges"),
)
Table(
    "analytics_add_on_slots",
    _rollups,
    Column("slot", Integer, primary_key=True, autoincrement=False),
    Column("add_on_id", Uuid, nullable=False),
    UniqueConstraint("add_on_id"),
)
Table(
    "analytics_add_on_revenue_running",
    _rollups,
    _day(),
    Column("charged", ARRAY(BigInteger), nullable=False),
    Column("refunded", ARRAY(BigInteger), nullable=False),
)
Table(
    "analytics_promo_daily",
    _rollups,
    _day(),
    Column("promo_code_id", Uuid, primary_key=True),
    _count("checkouts"),
    _count("paid"),
    _money("discount"),
    _money("revenue"),
    _count("first_purchases"),
)
Table(
    "analytics_bundle_daily",
    _rollups,
    _day(),
    Column("bundle_id", Uuid, primary_key=True),
    _count("orders"),
    _money("savings"),
    _money("revenue"),
)
Table(
    "analytics_bundle_holders",
    _rollups,
    Column("bundle_id", Uuid, primary_key=True),
    Column("user_id", String(255), primary_key=True),
)
Table(
    "analytics_bundle_versions",
    _rollups,
    Column("bundle_id", Uuid, primary_key=True),
    Column("updated_at", Timestamp, nullable=False),
)
Table(
    "analytics_mrr_users",
    _rollups,
    Column("user_id", String(255), primary_key=True),
    _money("mrr"),
    _count("moves"),
)
Table(
    "analytics_add_on_mrr",
    _rollups,
    Column("add_on_id", Uuid, primary_key=True),
    _count("subscribers"),
    _money("mrr"),
    Index("idx_analytics_add_on_mrr_mrr", "mrr"),
    Index("idx_analytics_add_on_mrr_subscribers", "subscribers"),
)
# Per add-on, its active subscriptions and MRR before the day the next refresh starts from:
# that refresh adds the changes since to it (marketplace/maintenance/analytics.py).
Table(
    "analytics_add_on_mrr_base",
    _rollups,
    Column("add_on_id", Uuid, primary_key=True),
    _count("subscribers"),
    _money("mrr"),
)
Table(
    "analytics_funnel_daily",
    _rollups,
    _day(),
    Column("step", String(20), primary_key=True),
    _count("visitors"),
)
