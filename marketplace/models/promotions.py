"""Promotional codes and their usage counters."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.base import Base, Money, Timestamp, Timestamps, UuidPrimaryKey
from marketplace.vocabulary import DiscountType, sql_list


class PromotionalCode(UuidPrimaryKey, Timestamps, Base):
    """A promo code: its discount, limits, restrictions and how often it was used."""

    __tablename__ = "promotional_codes"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint(f"discount_type IN ({sql_list(DiscountType)})", name="discount_type"),
        CheckConstraint("discount_value > 0", name="discount_value_positive"),
        CheckConstraint(
            "discount_type <> 'percentage' OR discount_value <= 100", name="percentage_at_most_100"
        ),
        CheckConstraint("max_uses IS NULL OR max_uses > 0", name="max_uses_positive"),
        CheckConstraint("current_uses >= 0", name="current_uses_not_negative"),
        CheckConstraint(
            "max_uses IS NULL OR current_uses <= max_uses", name="current_uses_within_max"
        ),
        CheckConstraint(
            "min_purchase_amount IS NULL OR min_purchase_amount >= 0",
            name="min_purchase_not_negative",
        ),
        CheckConstraint(
            "jsonb_typeof(user_restrictions) = 'object'", name="user_restrictions_is_object"
        ),
        # Codes are typed by shoppers in any case; this finds them and keeps them unique so.
        Index("idx_promotional_codes_code_upper", func.upper(text("code")), unique=True),
        Index(
            "idx_promotional_codes_active_expiry", "expires_at", postgresql_where=text("is_active")
        ),
        Index("idx_promotional_codes_applicable_to", "applicable_to", postgresql_using="gin"),
        Index(
            "idx_promotional_codes_batch",
            "batch_id",
            "code",
            postgresql_where=text("batch_id IS NOT NULL"),
        ),
    )

    code: Mapped[str] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    discount_type: Mapped[str] = mapped_column(String(20))
    discount_value: Mapped[Decimal] = mapped_column(Money)
    max_uses: Mapped[int | None] = mapped_column(Integer)
    current_uses: Mapped[int] = mapped_column(Integer, server_default="0")
    # NULL applies the code to every add-on.
    applicable_to: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(Uuid))
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    valid_from: Mapped[datetime | None] = mapped_column(Timestamp)
    min_purchase_amount: Mapped[Decimal | None] = mapped_column(Money)
    # e.g. {"first_purchase_only": true}, {"tier": "vip_founder"}, {"once_per_user": true}
    user_restrictions: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=text("'{}'::jsonb")
    )
    # The admin's batch generation that made the code, if one did (its CSV lists them).
    batch_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
