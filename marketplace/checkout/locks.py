"""One shopper's checkouts and payments, one at a time.

Opening a checkout (which closes the previous one) and fulfilling a payment (which checks what
the shopper already holds) both read and then change the same shopper's state, so each takes
this lock first: a transaction-scoped advisory lock, released by its commit or rollback.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def lock_shopper(session: Session, user_id: str) -> None:
    """Wait for, then hold until the transaction ends, the lock on `user_id`'s checkouts."""
    session.execute(_LOCK, {"key": f"checkout:{user_id}"})
