"""Bundles: a set of add-ons sold together at a discount."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.base import Base, Money, Percent, Timestamp, Timestamps, UuidPrimaryKey


class AddOnBundle(UuidPrimaryKey, Timestamps, Base):
    """Add-ons sold together at a discount (a percentage or an amount off their sum)."""

    __tablename__ = "add_on_bundles"
    __table_args__ = (
        UniqueConstraint("name"),
        CheckConstraint("cardinality(add_on_ids) >= 2", name="at_least_two_add_ons"),
        CheckConstraint(
            "discount_percent IS NULL OR discount_percent BETWEEN 0 AND 100",
            name="discount_percent_range",
        ),
        CheckConstraint(
            "discount_amount IS NULL OR discount_amount >= 0", name="discount_amount_not_negative"
        ),
        CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until > valid_from",
            name="valid_window",
        ),
        Index("idx_add_on_bundles_add_on_ids", "add_on_ids", postgresql_using="gin"),
        Index(
            "idx_add_on_bundles_active_window",
            "valid_from",
            "valid_until",
            postgresql_where=text("is_active"),
        ),
    )

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    # No foreign key is possible on array elements; the application checks the ids.
    add_on_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    discount_percent: Mapped[Decimal | None] = mapped_column(Percent)
    discount_amount: Mapped[Decimal | None] = mapped_column(Money)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    valid_from: Mapped[datetime | None] = mapped_column(Timestamp)
    valid_until: Mapped[datetime | None] = mapped_column(Timestamp)
    display_order: Mapped[int] = mapped_column(Integer, server_default="100")
