"""The billing outbox: Lago calls owed since a commit, delivered after it and retried.

`enqueue` runs inside the caller's transaction (fulfilment, cancellation), so the call is owed
exactly when the change it follows is committed. `deliver` sends due entries one at a time,
each in its own short transaction with the row locked (`SKIP LOCKED`: parallel runners never
send the same entry twice); a failure keeps the entry with its error and a backed-off time.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from marketplace.models import BillingOutboxEntry, UserAddOn
from marketplace.models.base import utcnow

CREATE_SUBSCRIPTION = "lago.subscription.create"
TERMINATE_SUBSCRIPTION = "lago.subscription.terminate"
BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=6)


def enqueue(session: Session, kind: str, payload: Mapping[str, Any]) -> uuid.UUID:
    """Add an entry in the caller's transaction; return its id."""
    entry = BillingOutboxEntry(id=uuid.uuid4(), kind=kind, payload=dict(payload))
    session.add(entry)
    session.flush()
    return entry.id


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … doubling per failed attempt, at most 6 hours."""
    return min(BASE_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    still_pending: int = 0


def deliver(
    session: Session,
    lago,
    *,
    ids: Sequence[uuid.UUID] | None = None,
    now: datetime | None = None,
    limit: int = 500,
) -> DeliveryReport:
    """Send due pending entries (or only `ids`) to `lago`, committing after each one."""
    report = DeliveryReport()
    now = now or utcnow()
    seen: set[uuid.UUID] = set()
    while report.delivered + report.failed < limit:
        query = (
            select(BillingOutboxEntry)
            .where(BillingOutboxEntry.status == "pending")
            .order_by(BillingOutboxEntry.next_attempt_at)
            .limit(1)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        if ids is not None:
            query = query.where(BillingOutboxEntry.id.in_(list(ids)))
        else:
            query = query.where(BillingOutboxEntry.next_attempt_at <= now)
        if seen:
            query = query.where(BillingOutboxEntry.id.not_in(seen))
        entry = session.scalars(query).first()
        if entry is None:
            break
        seen.add(entry.id)
        try:
            _send(session, lago, entry)
        except Exception as error:  # any failure is kept and retried
            entry.attempts += 1
            entry.last_error = str(error)[:1000]
            entry.next_attempt_at = utcnow() + backoff(entry.attempts)
            report.failed += 1
            report.errors.append(f"{entry.kind} {entry.id}: {entry.last_error}")
        else:
            entry.attempts += 1
            entry.status = "delivered"
            entry.delivered_at = utcnow()
            entry.last_error = None
            report.delivered += 1
        session.commit()
    report.still_pending = session.scalar(
        select(func.count()).where(BillingOutboxEntry.status == "pending")
    )
    session.commit()
    return report


def _send(session: Session, lago, entry: BillingOutboxEntry) -> None:
    payload = entry.payload
    if entry.kind == CREATE_SUBSCRIPTION:
        lago_id = lago.subscribe(
            payload["user_id"], payload["user_add_on_id"], payload["plan_code"]
        )
        session.execute(
            update(UserAddOn)
            .where(UserAddOn.id == uuid.UUID(payload["user_add_on_id"]))
            .values(lago_subscription_id=lago_id)
        )
    elif entry.kind == TERMINATE_SUBSCRIPTION:
        lago.terminate(payload["user_add_on_id"])
    else:
        raise ValueError(f"unknown outbox entry kind {entry.kind!r}")
