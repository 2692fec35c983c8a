"""Change webhook endpoints from the admin area; each function is one audited transaction.

The signing secret is made here (`secrets`), shown to the admin once when made, and again only
on an audited "reveal". The audit log never holds it: a row says a secret was made, revealed
or rotated, not what it is.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from marketplace.admin import changes
from marketplace.admin.audit.service import Actor, changed_fields, jsonable, record
from marketplace.admin.changes import Conflict, NotFound, Refused
from marketplace.billing import outbox
from marketplace.events.addresses import address_problem
from marketplace.events.emit import EVENT_TYPES, delivery_payload
from marketplace.models import BillingOutboxEntry, WebhookEndpoint, WebhookEvent
from marketplace.vocabulary import OutboxStatus

OBJECT_TYPE = "webhook_endpoint"
CONFLICT = "This endpoint was changed by someone else since you opened it — reload to see it."
GONE = "This webhook endpoint does not exist (any more)."
MAX_URL = 2000
SECRET_PREFIX = "whsec_"


@dataclass(frozen=True)
class EndpointData:
    """What an admin sets on an endpoint (the secret is made, never typed)."""

    url: str
    event_types: tuple[str, ...]
    description: str | None = None
    is_active: bool = True


def url_problem(url: str) -> str | None:
    """Why `url` cannot receive events (an absolute http or https URL), or None."""
    if len(url) > MAX_URL:
        return f"At most {MAX_URL} characters."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError:
        return "Enter a URL such as https://example.com/webhooks."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Enter an http:// or https:// URL with a host, such as https://example.com/hooks."
    if parts.username or parts.password:
        return "Leave credentials out of the URL: the signature proves who sent an event."
    return None


def new_secret() -> str:
    """A signing secret: 32 random bytes (`secrets`), URL-safe text."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """The endpoint's editable fields as the audit log and the edit token see them."""
    return jsonable(
        {
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": list(endpoint.event_types),
            "is_active": endpoint.is_active,
        }
    )


def edit_token(endpoint: WebhookEndpoint) -> str:
    return changes.edit_token(endpoint.updated_at, snapshot(endpoint))


def create_endpoint(
    session: Session, actor: Actor, data: EndpointData, *, private_ok: bool
) -> WebhookEndpoint:
    """Add an endpoint with a new secret (read it from `.secret` to show it once); `private_ok`
    is `private_ok()` (marketplace/events/addresses.py)."""
    _check(data, private_ok)
    endpoint = WebhookEndpoint(id=uuid.uuid4(), secret=new_secret())
    _assign(endpoint, data)
    session.add(endpoint)
    session.flush()
    record(session, actor, "webhook_endpoint.create", OBJECT_TYPE, endpoint.id, None,
           {**snapshot(endpoint), "secret": "made"})  # fmt: skip
    session.commit()
    return endpoint


def update_endpoint(
    session: Session,
    actor: Actor,
    endpoint_id: uuid.UUID,
    data: EndpointData,
    token: str,
    *,
    private_ok: bool,
) -> WebhookEndpoint:
    """Save over the endpoint loaded with edit `token`; Conflict if it changed since."""
    endpoint = _locked(session, endpoint_id)
    if edit_token(endpoint) != token:
        session.rollback()
        raise Conflict(CONFLICT)
    _check(data, private_ok, session)
    before = snapshot(endpoint)
    _assign(endpoint, data)
    old, new = changed_fields(before, snapshot(endpoint))
    if new:
        record(session, actor, "webhook_endpoint.update", OBJECT_TYPE, endpoint.id, old, new)
    session.commit()
    return endpoint


def reveal_secret(session: Session, actor: Actor, endpoint_id: uuid.UUID) -> str:
    """The endpoint's secret, for an admin who asked to see it (audited)."""
    endpoint = _locked(session, endpoint_id)
    record(session, actor, "webhook_endpoint.reveal_secret", OBJECT_TYPE, endpoint.id, None, None)
    session.commit()
    return endpoint.secret


def rotate_secret(session: Session, actor: Actor, endpoint_id: uuid.UUID) -> str:
    """Replace the secret (deliveries from now on are signed with the new one); return it."""
    endpoint = _locked(session, endpoint_id)
    endpoint.secret = new_secret()
    record(session, actor, "webhook_endpoint.rotate_secret", OBJECT_TYPE, endpoint.id, None,
           {"secret": "replaced"})  # fmt: skip
    session.commit()
    return endpoint.secret


def delete_endpoint(session: Session, actor: Actor, endpoint_id: uuid.UUID) -> int:
    """Delete the endpoint and its delivery log; what it was still owed is given up. Returns
    how many undelivered events were dropped."""
    endpoint = _locked(session, endpoint_id)
    dropped = session.execute(
        update(BillingOutboxEntry)
        .where(
            BillingOutboxEntry.kind == outbox.DELIVER_EVENT,
            BillingOutboxEntry.status == OutboxStatus.PENDING,
            BillingOutboxEntry.payload["endpoint_id"].astext == str(endpoint_id),
        )
        .values(status=OutboxStatus.FAILED, last_error="The endpoint was deleted.")
        .returning(BillingOutboxEntry.id)
    ).all()
    record(session, actor, "webhook_endpoint.delete", OBJECT_TYPE, endpoint.id,
           snapshot(endpoint), {"undelivered_dropped": len(dropped)})  # fmt: skip
    session.delete(endpoint)
    session.commit()
    return len(dropped)


def resend(
    session: Session, actor: Actor, endpoint_id: uuid.UUID, event_id: uuid.UUID
) -> uuid.UUID:
    """Send `event` to the endpoint again, due now (same event id: a receiver that has it
    already can tell): its pending entry, still being retried, is made due; else a new entry
    is queued. The entry to deliver after the commit.

    It keeps its place in the user's order: an earlier event of the user still owed to the
    endpoint goes first."""
    endpoint = _locked(session, endpoint_id)
    event = session.get(WebhookEvent, event_id)
    if event is None:
        session.rollback()
        raise NotFound("This event does not exist (any more).")
    entry_id = session.scalar(
        update(BillingOutboxEntry)
        .where(
            BillingOutboxEntry.kind == outbox.DELIVER_EVENT,
            BillingOutboxEntry.status == OutboxStatus.PENDING,
            BillingOutboxEntry.payload["endpoint_id"].astext == str(endpoint.id),
            BillingOutboxEntry.payload["event_id"].astext == str(event.id),
        )
        .values(next_attempt_at=func.now())
        .returning(BillingOutboxEntry.id)
    ) or outbox.enqueue(session, outbox.DELIVER_EVENT, delivery_payload(event, endpoint.id))
    record(session, actor, "webhook_endpoint.resend", OBJECT_TYPE, endpoint.id, None,
           {"event_id": event.id, "type": event.type, "outbox_entry_id": entry_id})  # fmt: skip
    session.commit()
    return entry_id


def _check(data: EndpointData, private_ok: bool, session: Session | None = None) -> None:
    problem = url_problem(data.url) or (None if private_ok else address_problem(data.url))
    refusal = None
    if problem:
        refusal = Refused(problem, field="url")
    elif not data.event_types:
        refusal = Refused("Choose at least one event type.", field="event_types")
    elif set(data.event_types) - set(EVENT_TYPES):
        refusal = Refused("Choose from the listed event types.", field="event_types")
    if refusal is not None:
        if session is not None:
            session.rollback()
        raise refusal


def _assign(endpoint: WebhookEndpoint, data: EndpointData) -> None:
    endpoint.url = data.url
    endpoint.description = data.description
    # Stored in the order the event list names them, so a form re-saved unchanged is no change.
    endpoint.event_types = [kind for kind in EVENT_TYPES if kind in data.event_types]
    endpoint.is_active = data.is_active


def _locked(session: Session, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if endpoint is None:
        session.rollback()
        raise NotFound(GONE)
    return endpoint
