"""Platform tables the marketplace uses but does not own; revision 000 makes them if missing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.base import Base, Money, Timestamp

# Revision 000 marks the tables it creates, so its downgrade drops only those.
CREATED_BY_MIGRATION = {"comment": "created by marketplace revision 000_platform_base"}


class SubscriptionTier(Base):
    """A platform subscription tier (the platform owns the table; tier pricing rules name it)."""

    __tablename__ = "subscription_tiers"
    __table_args__ = CREATED_BY_MIGRATION

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    monthly_price: Mapped[Decimal | None] = mapped_column(Money)
    sort_order: Mapped[int] = mapped_column(Integer, server_default="0")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class FeatureDefinition(Base):
    """A platform feature other services check (the platform owns the table)."""

    __tablename__ = "feature_definitions"
    __table_args__ = CREATED_BY_MIGRATION

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
