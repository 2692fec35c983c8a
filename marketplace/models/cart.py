"""Cart lines, keyed by a signed-in user id or an anonymous shopper id."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.base import Base, Money, Timestamp, UuidPrimaryKey
from marketplace.models.catalog import AddOn
from marketplace.pricing.models import MAX_QUANTITY


class CartItem(UuidPrimaryKey, Base):
    """One line of a cart: an add-on, its quantity and the price the shopper saw."""

    __tablename__ = "cart_items"
    __table_args__ = (
        UniqueConstraint("user_id", "add_on_id"),
        CheckConstraint(f"quantity BETWEEN 1 AND {MAX_QUANTITY}", name="quantity_range"),
        Index("idx_cart_items_user", "user_id", "added_at"),
        Index("idx_cart_items_add_on_id", "add_on_id"),
        Index("idx_cart_items_added_at", "added_at"),
    )

    # A Keycloak user id, or "anon:<uuid>" for a shopper who has not signed in.
    user_id: Mapped[str] = mapped_column(String(255))
    add_on_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("add_ons.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer, server_default="1")
    added_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    # The unit price the shopper saw when adding the line, to flag later price changes.
    unit_price_seen: Mapped[Decimal | None] = mapped_column(Money)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())

    add_on: Mapped[AddOn] = relationship()
