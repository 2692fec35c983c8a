"""Which `webhook.deliver` outbox entries to send now, and what their sending did: the
database side of delivering events (the HTTP side is marketplace.events.sender).

A batch is claimed for one endpoint's lane (leased: due again only if its runner dies), and
the lane's results are written when it finishes: the delivery log, each entry delivered,
backed off or given up.

Order: one user's events reach an endpoint in the order of the changes. An entry is claimed
only together with every earlier pending entry of its user and endpoint; a lane that fails one
sends none of that user's later events in the batch (they wait for it), and stops at a receiver
that cannot be reached or does not answer in time. A failure is retried with the outbox's
back-off; an entry still failing three days after it was queued is given up (`failed`), as is
one refused for its receiver's private address (marketplace/events/sender.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Select, Uuid, func, insert, select, update
from sqlalchemy.orm import Session

from marketplace.billing import outbox
from marketplace.events.emit import rfc3339
from marketplace.models import BillingOutboxEntry, WebhookDelivery, WebhookEndpoint, WebhookEvent
from marketplace.vocabulary import OutboxStatus

GIVE_UP_AFTER = timedelta(days=3)
LANE_BATCH = 200  # entries a lane sends before its results are written
# A claimed batch is due again after this (its runner died mid-way): longer than a lane can
# take, since a lane stops at the first receiver that does not answer in time.
LEASE = timedelta(minutes=10)
USER_AGENT = "Extensions-Marketplace-Webhooks/1"

_ENTRY = BillingOutboxEntry
_ENDPOINT_ID = _ENTRY.payload["endpoint_id"].astext
_SEQ = _ENTRY.payload["seq"].astext.cast(BigInteger)
_KEY = _ENTRY.payload["key"].astext


@dataclass(frozen=True)
class Delivery:
    """One claimed entry: the event's signed body to one endpoint."""

    entry_id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    secret: str
    event_id: str
    key: str
    body: bytes
    attempts: int
    last_chance: bool  # queued GIVE_UP_AFTER ago: a failure now gives it up


@dataclass(frozen=True)
class Attempt:
    """What one POST got: the status code (None: no answer) and the error, if it failed;
    `refused`: not sent, the receiver's address being private (given up at once)."""

    delivery: Delivery
    attempted_at: datetime
    response_code: int | None
    error: str | None
    duration_ms: int
    refused: bool = False


def envelope(event: WebhookEvent) -> bytes:
    """The body every endpoint gets for `event`: `{id, type, created, data}` as compact JSON."""
    document = {
        "id": str(event.id),
        "type": event.type,
        "created": rfc3339(event.created_at),
        "data": event.data,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def claim(
    session: Session,
    ids: Sequence[uuid.UUID] | None,
    now: datetime,
    busy: set[uuid.UUID],
    lanes: int,
    budget: int,
    tried: Collection[uuid.UUID] = (),
) -> list[list[Delivery]]:
    """Lease up to `lanes` batches (one per endpoint not `busy`), `budget` entries in all;
    committed, so other runners skip them."""
    if lanes <= 0 or budget <= 0:
        return []
    entries = _due_entries(session, ids, now, busy, budget, tried)
    entries = _in_order(session, entries)
    batches: dict[uuid.UUID, list[BillingOutboxEntry]] = {}
    for entry in entries:
        endpoint_id = uuid.UUID(entry.payload["endpoint_id"])
        if endpoint_id in batches or len(batches) < lanes:
            batches.setdefault(endpoint_id, []).append(entry)
    claimed = [entry for batch in batches.values() for entry in batch]
    if claimed:
        session.execute(
            update(_ENTRY)
            .where(_ENTRY.id.in_([entry.id for entry in claimed]))
            .values(next_attempt_at=now + LEASE, attempts=_ENTRY.attempts + 1)
        )
    deliveries = _deliveries(session, claimed, now)
    leased = [[deliveries[entry.id] for entry in batch] for batch in batches.values()]
    session.commit()  # (after reading the ids: the commit expires the entries)
    return leased


def _due_entries(
    session: Session,
    ids: Sequence[uuid.UUID] | None,
    now: datetime,
    busy: set[uuid.UUID],
    budget: int,
    tried: Collection[uuid.UUID],
) -> list[BillingOutboxEntry]:
    """Due entries to active endpoints, the first LANE_BATCH of each endpoint by number,
    locked (SKIP LOCKED: another runner's are left alone)."""
    rank = func.row_number().over(partition_by=_ENDPOINT_ID, order_by=_SEQ)
    ranked = (
        select(_ENTRY.id, rank.label("rank"))
        .join(WebhookEndpoint, WebhookEndpoint.id == _ENDPOINT_ID.cast(Uuid))
        .where(
            _ENTRY.kind == outbox.DELIVER_EVENT,
            _ENTRY.status == OutboxStatus.PENDING,
            _ENTRY.next_attempt_at <= now,
            WebhookEndpoint.is_active,
        )
    )
    if busy:
        ranked = ranked.where(WebhookEndpoint.id.not_in(busy))
    if ids is not None:
        ranked = ranked.where(_ENTRY.id.in_(list(ids)), _ENDPOINT_ID.not_in(_failing(ids)))
    if tried:
        ranked = ranked.where(_ENTRY.id.not_in(list(tried)))
    top = ranked.subquery()
    return list(
        session.scalars(
            select(_ENTRY)
            .where(_ENTRY.id.in_(select(top.c.id).where(top.c.rank <= LANE_BATCH)))
            .order_by(_SEQ)
            .limit(budget)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )


def _failing(ids: Sequence[uuid.UUID]) -> Select[tuple[str]]:
    """Endpoints with another entry failing: right after a commit (`ids`: a request's worker
    waits) they are left to the runner, so a dead receiver costs one timeout, not one a
    purchase. The entry asked for itself (a resend) may still go."""
    return select(_ENDPOINT_ID).where(
        _ENTRY.kind == outbox.DELIVER_EVENT,
        _ENTRY.status == OutboxStatus.PENDING,
        _ENTRY.last_error.is_not(None),
        _ENTRY.id.not_in(list(ids)),
    )


def _in_order(session: Session, entries: list[BillingOutboxEntry]) -> list[BillingOutboxEntry]:
    """Those of `entries` with no earlier pending entry of their user and endpoint left out
    (backed off, leased by a runner, locked by another, or past the batch)."""
    if not entries:
        return []
    taken = [entry.id for entry in entries]
    first_left_out = dict(
        ((endpoint, key), seq)
        for endpoint, key, seq in session.execute(
            select(_ENDPOINT_ID, _KEY, func.min(_SEQ))
            .where(
                _ENTRY.kind == outbox.DELIVER_EVENT,
                _ENTRY.status == OutboxStatus.PENDING,
                _ENTRY.id.not_in(taken),
                _KEY.in_({entry.payload["key"] for entry in entries}),
            )
            .group_by(_ENDPOINT_ID, _KEY)
        )
    )
    return [
        entry
        for entry in entries
        if entry.payload["seq"]
        < first_left_out.get(
            (entry.payload["endpoint_id"], entry.payload["key"]), entry.payload["seq"] + 1
        )
    ]


def _deliveries(
    session: Session, entries: Sequence[BillingOutboxEntry], now: datetime
) -> dict[uuid.UUID, Delivery]:
    """Each entry's endpoint and signed-to-be body."""
    if not entries:
        return {}
    endpoint_ids = {uuid.UUID(entry.payload["endpoint_id"]) for entry in entries}
    event_ids = {uuid.UUID(entry.payload["event_id"]) for entry in entries}
    endpoints = {
        e.id: e
        for e in session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids))
        )
    }
    bodies = {
        e.id: envelope(e)
        for e in session.scalars(select(WebhookEvent).where(WebhookEvent.id.in_(event_ids)))
    }
    found: dict[uuid.UUID, Delivery] = {}
    for entry in entries:
        endpoint = endpoints[uuid.UUID(entry.payload["endpoint_id"])]
        found[entry.id] = Delivery(
            entry_id=entry.id,
            endpoint_id=endpoint.id,
            url=endpoint.url,
            secret=endpoint.secret,
            event_id=entry.payload["event_id"],
            key=entry.payload["key"],
            body=bodies[uuid.UUID(entry.payload["event_id"])],
            attempts=entry.attempts + 1,
            last_chance=now - entry.created_at >= GIVE_UP_AFTER,
        )
    return found


def record(
    session: Session,
    batch: Sequence[Delivery],
    attempts: Sequence[Attempt],
    report: outbox.DeliveryReport,
) -> int:
    """Write a lane's results: the delivery log, each entry delivered, backed off or given up;
    what the lane did not send is due again at once. Returns how many entries it settled."""
    if attempts:
        session.execute(insert(WebhookDelivery), [_log_row(attempt) for attempt in attempts])
    delivered = [a.delivery.entry_id for a in attempts if a.error is None]
    if delivered:
        session.execute(
            update(_ENTRY)
            .where(_ENTRY.id.in_(delivered))
            .values(status=OutboxStatus.DELIVERED, delivered_at=func.now(), last_error=None)
        )
    for attempt in attempts:
        if attempt.error is not None:
            _failed(session, attempt, report)
    sent = {attempt.delivery.entry_id for attempt in attempts}
    unsent = [d.entry_id for d in batch if d.entry_id not in sent]
    if unsent:
        session.execute(
            update(_ENTRY)
            .where(_ENTRY.id.in_(unsent))
            .values(next_attempt_at=func.now(), attempts=_ENTRY.attempts - 1)
        )
    session.commit()
    report.delivered += len(delivered)
    report.events_delivered += len(delivered)
    return len(attempts)


def _failed(session: Session, attempt: Attempt, report: outbox.DeliveryReport) -> None:
    delivery = attempt.delivery
    values: dict[str, Any] = {"last_error": attempt.error}
    if delivery.last_chance or attempt.refused:
        values["status"] = OutboxStatus.FAILED
        report.given_up += 1
    else:
        values["next_attempt_at"] = attempt.attempted_at + outbox.backoff(delivery.attempts)
    session.execute(update(_ENTRY).where(_ENTRY.id == delivery.entry_id).values(**values))
    report.failed += 1
    report.events_failed += 1
    report.errors.append(f"{outbox.DELIVER_EVENT} {delivery.entry_id}: {attempt.error}")


def _log_row(attempt: Attempt) -> dict[str, Any]:
    return {
        "endpoint_id": attempt.delivery.endpoint_id,
        "event_id": uuid.UUID(attempt.delivery.event_id),
        "outbox_entry_id": attempt.delivery.entry_id,
        "attempted_at": attempt.attempted_at,
        "response_code": attempt.response_code,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
        "delivered": attempt.error is None,
    }
