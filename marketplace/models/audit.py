"""The admin audit log: who changed what in the admin area, append-only (revision 008)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Identity, Index, String, func
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.models.base import Base, Timestamp


class AdminAuditEntry(Base):
    """One admin change: the actor, the object, its changed fields before and after.

    A trigger refuses UPDATE, DELETE and TRUNCATE: rows are only ever added.
    """

    __tablename__ = "admin_audit_log"
    __table_args__ = (
        Index("idx_admin_audit_log_created", "created_at", "id"),
        Index("idx_admin_audit_log_object", "object_type", "object_id", "created_at", "id"),
        Index("idx_admin_audit_log_actor", "actor", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    actor: Mapped[str] = mapped_column(String(255))
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(255))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(100))
    ip: Mapped[str | None] = mapped_column(INET)
    created_at: Mapped[datetime] = mapped_column(
        Timestamp, nullable=False, server_default=func.now()
    )


class CatalogVersion(Base):
    """One row counting catalog changes; statement triggers on the catalog tables bump it, so
    every process's page cache can tell its fragments are stale (revision 008)."""

    __tablename__ = "catalog_version"
    __table_args__ = (CheckConstraint("id", name="one_row"),)

    id: Mapped[bool] = mapped_column(primary_key=True, server_default="true")
    version: Mapped[int] = mapped_column(BigInteger, server_default="0")
