"""Read the billing outbox and the Stripe events for the operations page (keyset-paged)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from marketplace.admin.keyset import Cursor, Page, keyset_page
from marketplace.billing.outbox import DELIVER_EVENT, LAGO_KINDS, PAYMENT_KINDS
from marketplace.models import BillingOutboxEntry, StripeEvent
from marketplace.models.base import utcnow
from marketplace.vocabulary import OutboxStatus

KINDS = LAGO_KINDS + PAYMENT_KINDS + (DELIVER_EVENT,)
# A due entry nobody sent for this long means no runner works the outbox (the after-commit
# delivery failed and `flask maintain sync-billing` is not scheduled, or cannot reach them).
OVERDUE_AFTER = timedelta(minutes=10)
STATUSES = {
    "pending": "Owed (every pending entry)",
    "failing": "Failing (an attempt failed)",
    "overdue": f"Overdue (due over {OVERDUE_AFTER.seconds // 60} min ago)",
}


@dataclass(frozen=True)
class OutboxFilters:
    kind: str | None = None
    status: str = "pending"


@dataclass(frozen=True)
class OutboxSummary:
    """Counts over every pending entry: owed, failing, overdue."""

    pending: int
    failing: int
    overdue: int


def outbox_page(session: Session, filters: OutboxFilters, after: Cursor | None = None) -> Page:
    """Pending entries matching `filters`, the soonest due first (idx_billing_outbox_due)."""
    entry = BillingOutboxEntry
    query = select(entry).where(entry.status == OutboxStatus.PENDING)
    if filters.kind:
        query = query.where(entry.kind == filters.kind)
    if filters.status == "failing":
        query = query.where(entry.attempts > 0)
    elif filters.status == "overdue":
        query = query.where(entry.next_attempt_at < utcnow() - OVERDUE_AFTER)
    return keyset_page(session, query, entry.next_attempt_at, entry.id, after, descending=False)


def outbox_summary(session: Session) -> OutboxSummary:
    """How many entries are owed, failing and overdue (idx_billing_outbox_due)."""
    entry = BillingOutboxEntry
    overdue = entry.next_attempt_at < utcnow() - OVERDUE_AFTER
    row = session.execute(
        select(
            func.count(),
            func.count().filter(entry.attempts > 0),
            func.count().filter(overdue),
        ).where(entry.status == OutboxStatus.PENDING)
    ).one()
    return OutboxSummary(pending=row[0], failing=row[1], overdue=row[2])


def outbox_entry(session: Session, entry_id: uuid.UUID) -> BillingOutboxEntry | None:
    return session.get(BillingOutboxEntry, entry_id)


def events_page(session: Session, event_type: str | None, after: Cursor | None = None) -> Page:
    """The Stripe events handled, newest first: idx_stripe_events_processed read backwards from
    the page's start (by type too: the table grows by a row per webhook, for ever)."""
    query: Select[tuple[StripeEvent]] = select(StripeEvent)
    if event_type:
        query = query.where(StripeEvent.type == event_type)
    return keyset_page(
        session, query, StripeEvent.processed_at, StripeEvent.id, after, descending=True
    )


def latest_event_at(session: Session) -> datetime | None:
    """When the last Stripe event arrived (silence can be trouble too)."""
    return session.scalar(select(func.max(StripeEvent.processed_at)))
