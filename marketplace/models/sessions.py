"""Server-side sign-out: how many times each user signed out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.base import Base, Timestamp


class SessionGeneration(Base):
    """A user's session generation: a session cookie signed in under an older one is void.

    No row means generation 0 (a user who never signed out); signing out adds one.
    """

    __tablename__ = "session_generations"
    __table_args__ = (CheckConstraint("generation >= 0", name="generation_not_negative"),)

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, server_default="0")
    signed_out_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
