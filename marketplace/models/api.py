"""What the JSON API remembers between requests: idempotency keys, and each cart's promo code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.base import Base, Timestamp


class IdempotencyKey(Base):
    """One `Idempotency-Key` a caller sent with a POST that moves money, and what it answered.

    `status` is NULL while the first request is still running; the same key and body again
    get the stored answer, the same key with another body a 422.
    """

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (CheckConstraint("status BETWEEN 100 AND 599", name="status_is_http"),)

    caller: Mapped[str] = mapped_column(String(255), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    operation: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class CartPromoCode(Base):
    """The promo code applied to a cart through the API (the pages keep theirs in the session)."""

    __tablename__ = "cart_promo_codes"

    owner_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    code: Mapped[str] = mapped_column(String(50))
    applied_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
