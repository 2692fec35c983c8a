"""What handling a payment event did, and each provider event handled exactly once.

Every change a payment makes is one transaction ending in `done`; a webhook's event id is
recorded in it first (`claim`: the `stripe_events` primary key), so a redelivered event is
skipped before anything is read.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from marketplace.models import StripeEvent


@dataclass(frozen=True)
class Event:
    """The webhook event being handled (for deduplication), or None for the success page."""

    id: str
    type: str


@dataclass(frozen=True)
class Outcome:
    """Whether anything changed, and the outbox entries to deliver after the commit."""

    changed: bool
    outbox_ids: tuple[uuid.UUID, ...] = ()


NOTHING = Outcome(changed=False)


def add_months(moment: datetime, months: int) -> datetime:
    """Add calendar months, keeping the day where the month has it (Jan 31 + 1 → Feb 28/29)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def claim(session: Session, event: Event | None) -> bool:
    """Record `event`; False when it was already handled (or is being, by a racing request).

    No event (the success page confirming a payment) is always new.
    """
    if event is None:
        return True
    inserted = session.execute(
        insert(StripeEvent)
        .values(id=event.id, type=event.type)
        .on_conflict_do_nothing(index_elements=[StripeEvent.id])
        .returning(StripeEvent.id)
    ).first()
    return inserted is not None


def done(session: Session, outcome: Outcome) -> Outcome:
    """Commit the change `outcome` describes."""
    session.commit()
    return outcome
