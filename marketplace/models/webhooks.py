"""Outgoing events: the receivers admins configure, each event emitted, each delivery attempt."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.base import Base, Timestamp, Timestamps, UuidPrimaryKey


class WebhookEndpoint(UuidPrimaryKey, Timestamps, Base):
    """A receiver of events: where they are POSTed, the secret that signs them, which types."""

    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(200))
    # The HMAC key; kept in clear because every delivery is signed with it.
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(50)))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")


class WebhookEvent(Base):
    """An event as its receivers get it: `seq` orders one user's events as they happened."""

    __tablename__ = "webhook_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    type: Mapped[str] = mapped_column(String(50))
    user_id: Mapped[str] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class WebhookDelivery(Base):
    """One attempt to deliver an event to an endpoint: when, the answer, how long it took."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The endpoint page's delivery log, newest first (events.queries.delivery_log).
        Index("idx_webhook_deliveries_endpoint", "endpoint_id", "attempted_at", "id"),
        # The event's attempts (resend finds the event; the log links them).
        Index("idx_webhook_deliveries_event", "event_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"))
    outbox_entry_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    attempted_at: Mapped[datetime] = mapped_column(Timestamp)
    response_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
    delivered: Mapped[bool] = mapped_column(Boolean)

    event: Mapped[WebhookEvent] = relationship(lazy="joined")  # the log shows its type
