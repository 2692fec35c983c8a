"""How to reach a shopper: the address transactional e-mail goes to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.base import Base, Timestamp


class ShopperContact(Base):
    """A user's e-mail address and name as they last signed in with (OIDC claims or the
    development form); mail sent later (webhooks, the outbox) finds it here by user id."""

    __tablename__ = "shopper_contacts"
    # The admin customer search by e-mail prefix (migration 012_admin_orders).
    __table_args__ = (
        Index(
            "idx_shopper_contacts_email_prefix",
            func.lower(text("email")).label("email_lower"),
            postgresql_ops={"email_lower": "text_pattern_ops"},
        ),
    )

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
