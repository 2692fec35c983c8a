"""Retry an outbox entry now: due at once (audited), then delivered like after a commit."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.admin.audit.service import Actor, record
from marketplace.billing.sync import sync_billing
from marketplace.models import BillingOutboxEntry
from marketplace.vocabulary import OutboxStatus

OBJECT_TYPE = "billing_outbox"


class NotFound(LookupError):
    """No pending outbox entry with that id (unknown, or delivered already)."""


@dataclass(frozen=True)
class RetryOutcome:
    """What the retry did: `delivered`, `failed` (with the error) or `not_sent` (no runner
    here for that kind, or another runner holds the entry)."""

    result: str
    error: str | None = None


def retry_now(
    session: Session, actor: Actor, entry_id: uuid.UUID, config: Mapping[str, Any]
) -> RetryOutcome:
    """Make pending entry `entry_id` due now (audited, committed), then try to deliver it."""
    entry = session.scalars(
        select(BillingOutboxEntry)
        .where(BillingOutboxEntry.id == entry_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if entry is None or entry.status != OutboxStatus.PENDING:
        session.rollback()
        raise NotFound("This outbox entry is not pending (it was delivered, or never existed).")
    before = {"next_attempt_at": entry.next_attempt_at}
    entry.next_attempt_at = session.execute(select(func.now())).scalar_one()
    record(
        session, actor, "outbox.retry", OBJECT_TYPE, entry_id, before,
        {"next_attempt_at": entry.next_attempt_at, "kind": entry.kind},
    )  # fmt: skip
    session.commit()
    report = sync_billing(session, config, ids=[entry_id])
    if report is None or report.delivered + report.failed == 0:
        return RetryOutcome("not_sent")
    if report.delivered:
        return RetryOutcome("delivered")
    return RetryOutcome("failed", report.errors[0] if report.errors else None)
