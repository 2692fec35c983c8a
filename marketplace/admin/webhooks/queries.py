"""Read webhook endpoints, what each is still owed, and its delivery log (keyset-paged)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.admin.keyset import PAGE_SIZE, Cursor, Page, keyset_page
from marketplace.billing import outbox
from marketplace.models import BillingOutboxEntry, WebhookDelivery, WebhookEndpoint
from marketplace.vocabulary import OutboxStatus

# Endpoints are a handful of rows an admin types in, so the list shows them all.
MAX_ENDPOINTS = 200


@dataclass(frozen=True)
class Backlog:
    """An endpoint's undelivered events: owed (pending), failing (an attempt failed), given up."""

    pending: int = 0
    failing: int = 0
    given_up: int = 0


def endpoints(session: Session) -> list[WebhookEndpoint]:
    """Every endpoint, oldest first."""
    return endpoint_page(session, size=MAX_ENDPOINTS).rows


def endpoint_page(
    session: Session, after: Cursor | None = None, size: int = PAGE_SIZE
) -> Page[WebhookEndpoint]:
    """A page of endpoints, oldest first, after `after`."""
    query = select(WebhookEndpoint)
    return keyset_page(
        session, query, WebhookEndpoint.created_at, WebhookEndpoint.id, after, size=size
    )


def endpoint(session: Session, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
    return session.get(WebhookEndpoint, endpoint_id)


def backlogs(session: Session) -> dict[str, Backlog]:
    """Each endpoint's backlog, by endpoint id (text), over the undelivered webhook entries."""
    entry = BillingOutboxEntry
    endpoint_id = entry.payload["endpoint_id"].astext
    pending = entry.status == OutboxStatus.PENDING
    rows = session.execute(
        select(
            endpoint_id,
            func.count().filter(pending),
            func.count().filter(pending, entry.attempts > 0, entry.last_error.is_not(None)),
            func.count().filter(entry.status == OutboxStatus.FAILED),
        )
        .where(entry.kind == outbox.DELIVER_EVENT, entry.status != OutboxStatus.DELIVERED)
        .group_by(endpoint_id)
    ).all()
    return {row[0]: Backlog(row[1], row[2], row[3]) for row in rows}


def delivery_log(
    session: Session, endpoint_id: uuid.UUID, after: Cursor | None = None, size: int = PAGE_SIZE
) -> Page[WebhookDelivery]:
    """The endpoint's delivery attempts, newest first (idx_webhook_deliveries_endpoint)."""
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    return keyset_page(
        session,
        query,
        WebhookDelivery.attempted_at,
        WebhookDelivery.id,
        after,
        descending=True,
        size=size,
    )
