"""Column types and mixins shared by every table."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, Numeric, Uuid, func, text
from sqlalchemy.orm import Mapped, mapped_column

# Money is NUMERIC(10,2) in the database and Decimal in Python (asdecimal is the default).
Money = Numeric(10, 2)
Percent = Numeric(5, 2)
Timestamp = DateTime(timezone=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UuidPrimaryKey:
    # Generated in Python so new objects have an id before flush; the server default keeps
    # SQL inserts that omit the id working (gen_random_uuid is built in since PostgreSQL 13).
    id: Mapped[uuid.UUID] = mapped_column(
        Uuid, primary_key=True, default=uuid.uuid4, server_default=text("gen_random_uuid()")
    )


class Timestamps:
    """`created_at` and `updated_at`; the `update_updated_at_column` trigger bumps the latter."""

    created_at: Mapped[datetime] = mapped_column(
        Timestamp, nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        Timestamp, nullable=False, server_default=func.now()
    )
