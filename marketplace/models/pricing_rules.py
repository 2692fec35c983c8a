"""Tier pricing: discounts on an add-on for shoppers of a subscription tier."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.base import Base, Money, Percent, Timestamp, Timestamps, UuidPrimaryKey

if TYPE_CHECKING:
    from marketplace.models.catalog import AddOn


class PricingRule(UuidPrimaryKey, Timestamps, Base):
    """A tier discount on one add-on, with conditions and a priority."""

    __tablename__ = "pricing_rules"
    __table_args__ = (
        CheckConstraint(
            "discount_percent IS NULL OR discount_percent BETWEEN 0 AND 100",
            name="discount_percent_range",
        ),
        CheckConstraint(
            "discount_amount IS NULL OR discount_amount >= 0", name="discount_amount_not_negative"
        ),
        CheckConstraint("jsonb_typeof(conditions) = 'object'", name="conditions_is_object"),
        CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until > valid_from",
            name="valid_window",
        ),
        Index(
            "idx_pricing_rules_active_lookup",
            "add_on_id",
            "tier_code",
            text("priority DESC"),
            postgresql_where=text("is_active"),
        ),
        Index("idx_pricing_rules_tier_code", "tier_code"),
        Index("idx_pricing_rules_conditions", "conditions", postgresql_using="gin"),
    )

    add_on_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("add_ons.id", ondelete="CASCADE"))
    # Refers to subscription_tiers.code (checked by the application); NULL means every tier.
    tier_code: Mapped[str | None] = mapped_column(String(50))
    discount_percent: Mapped[Decimal | None] = mapped_column(Percent)
    discount_amount: Mapped[Decimal | None] = mapped_column(Money)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    priority: Mapped[int] = mapped_column(Integer, server_default="0")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    valid_from: Mapped[datetime | None] = mapped_column(Timestamp)
    valid_until: Mapped[datetime | None] = mapped_column(Timestamp)

    add_on: Mapped[AddOn] = relationship()
