"""Emit events in the transaction that causes them: the one module the shop's services call.

Each function stores the events (`webhook_events`) and queues one outbox entry per event and
subscribed endpoint (`webhook.deliver`), so they exist exactly when the change is committed;
it returns the entries to deliver after the commit. With no active endpoint subscribed to a
type, nothing is written for it.

Order: a user's events are numbered (`webhook_events.seq`) while holding a lock on that user
taken last in the transaction, so two transactions emitting for one user number their events
in the order they commit, and each `entitlements.updated` is read after the previous one's
change. Delivery keeps that order per user and endpoint (marketplace.events.delivery).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, select, text
from sqlalchemy.orm import Session

from marketplace.billing import outbox
from marketplace.entitlements import entitlement_set
from marketplace.models import AddOnPurchase, UserAddOn, WebhookEndpoint, WebhookEvent
from marketplace.vocabulary import PurchaseStatus

PURCHASE_COMPLETED = "purchase.completed"
PURCHASE_REFUNDED = "purchase.refunded"
SUBSCRIPTION_ACTIVATED = "subscription.activated"
SUBSCRIPTION_CANCELLED = "subscription.cancelled"
SUBSCRIPTION_EXPIRED = "subscription.expired"
ENTITLEMENTS_UPDATED = "entitlements.updated"
EVENT_TYPES = (
    PURCHASE_COMPLETED,
    PURCHASE_REFUNDED,
    SUBSCRIPTION_ACTIVATED,
    SUBSCRIPTION_CANCELLED,
    SUBSCRIPTION_EXPIRED,
    ENTITLEMENTS_UPDATED,
)
# Not the checkout lock (marketplace.checkout.locks): this one is taken last, after every row
# lock, and nothing is waited for while holding it, so it cannot close a cycle.
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")

Change = tuple[str, str, dict[str, Any]]  # (event type, user id, data)


def fulfilled(session: Session, paid: Sequence[AddOnPurchase]) -> list[uuid.UUID]:
    """A paid checkout's lines: each kept one completed and its subscription activated; those
    that could not be honoured refunded at once; the buyers' entitlements."""
    if not session.scalar(select(exists().where(WebhookEndpoint.is_active))):
        return []  # nobody listens: spare the checkout the reads below
    session.flush()
    kept = [p for p in paid if p.status == PurchaseStatus.COMPLETED]
    refunded = [p for p in paid if p.status == PurchaseStatus.REFUNDED]
    changes: list[Change] = []
    for purchase in kept:
        changes.append((PURCHASE_COMPLETED, purchase.user_id, purchase_data(purchase)))
        held = session.scalars(
            select(UserAddOn).where(
                UserAddOn.user_id == purchase.user_id, UserAddOn.add_on_id == purchase.add_on_id
            )
        ).one()
        changes.append((SUBSCRIPTION_ACTIVATED, held.user_id, subscription_data(held)))
    changes += [(PURCHASE_REFUNDED, p.user_id, purchase_data(p)) for p in refunded]
    return emit(session, changes, {p.user_id for p in kept})


def renewal_paid(session: Session, paid: Sequence[AddOnPurchase]) -> list[uuid.UUID]:
    """A renewal the provider collected: each line a completed purchase (the subscriptions it
    extended announce themselves only when revived, `subscriptions`)."""
    session.flush()
    return emit(session, [(PURCHASE_COMPLETED, p.user_id, purchase_data(p)) for p in paid])


def entitlements_changed(session: Session, user_id: str) -> list[uuid.UUID]:
    """A change to a user's subscriptions no other event names (an admin suspended one, or
    moved its end): their entitlements."""
    session.flush()
    return emit(session, [], {user_id})


def subscriptions(session: Session, event_type: str, rows: Iterable[UserAddOn]) -> list[uuid.UUID]:
    """Subscriptions activated, cancelled or expired (`event_type`), and their holders'
    entitlements."""
    session.flush()
    changes = [(event_type, row.user_id, subscription_data(row)) for row in rows]
    return emit(session, changes, {user for _, user, _ in changes})


def refunded(session: Session, purchases: Iterable[AddOnPurchase]) -> list[uuid.UUID]:
    """Refunds recorded on purchases (partly or in full); a purchase refunded in full ends its
    add-on, so its buyer's entitlements follow."""
    session.flush()
    rows = list(purchases)
    changes = [(PURCHASE_REFUNDED, p.user_id, purchase_data(p)) for p in rows]
    return emit(session, changes, {p.user_id for p in rows if p.status == PurchaseStatus.REFUNDED})


def expired(session: Session, rows: Sequence[Any]) -> list[uuid.UUID]:
    """Subscriptions the maintenance task just marked expired (rows of `user_add_ons` ids)."""
    held = session.scalars(
        select(UserAddOn).where(UserAddOn.id.in_([row.id for row in rows])).order_by(UserAddOn.id)
    ).all()
    return subscriptions(session, SUBSCRIPTION_EXPIRED, held)


def purchase_data(purchase: AddOnPurchase) -> dict[str, Any]:
    """A purchase line as events show it: money as decimal strings, times RFC 3339 UTC."""
    return {
        "user_id": purchase.user_id,
        "purchase": {
            "id": str(purchase.id),
            "order_id": _text(purchase.order_id),
            "order_number": purchase.order.number if purchase.order else None,
            "add_on": {"id": str(purchase.add_on_id), "slug": purchase.add_on.slug},
            "status": purchase.status,
            "quantity": purchase.quantity,
            "amount": str(purchase.amount),
            "currency": purchase.currency,
            "completed_at": rfc3339(purchase.completed_at),
            "refund_amount": _text(purchase.refund_amount),
            "refunded_at": rfc3339(purchase.refunded_at),
        },
    }


def subscription_data(held: UserAddOn) -> dict[str, Any]:
    """A subscription (`user_add_ons` row) as events show it."""
    return {
        "user_id": held.user_id,
        "subscription": {
            "id": str(held.id),
            "add_on": {"id": str(held.add_on_id), "slug": held.add_on.slug},
            "status": held.status,
            "purchased_at": rfc3339(held.purchased_at),
            "expires_at": rfc3339(held.expires_at),
            "auto_renew": held.auto_renew,
            "cancelled_at": rfc3339(held.cancelled_at),
            "cancellation_reason": held.cancellation_reason,
        },
    }


def rfc3339(moment: datetime | None) -> str | None:
    """`2026-11-26T04:00:00Z` (UTC), or None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def emit(
    session: Session, changes: Sequence[Change], entitled: Iterable[str] = ()
) -> list[uuid.UUID]:
    """Store `changes`, then the entitlements of the `entitled` users, each for the endpoints
    subscribed to its type; the outbox entries queued."""
    endpoints = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(WebhookEndpoint.is_active)
    ).all()
    wanted = {kind for _, kinds in endpoints for kind in kinds}
    entitled = sorted(set(entitled)) if ENTITLEMENTS_UPDATED in wanted else []
    users = {user for kind, user, _ in changes if kind in wanted} | set(entitled)
    for user in sorted(users):  # one order, so two emitters never wait on each other in a cycle
        session.execute(_LOCK, {"key": f"events:{user}"})
    everything = [c for c in changes if c[0] in wanted]
    everything += [(ENTITLEMENTS_UPDATED, u, entitlement_set(session, u)) for u in entitled]
    ids: list[uuid.UUID] = []
    for kind, user, data in everything:
        event = WebhookEvent(id=uuid.uuid4(), type=kind, user_id=user, data=data)
        session.add(event)
        session.flush()  # numbers it (seq)
        ids += [
            outbox.enqueue(session, outbox.DELIVER_EVENT, delivery_payload(event, endpoint_id))
            for endpoint_id, kinds in endpoints
            if kind in kinds
        ]
    return ids


def delivery_payload(event: WebhookEvent, endpoint_id: uuid.UUID) -> dict[str, Any]:
    """An outbox entry's payload: which event to which endpoint, and its place in the user's
    order (`key`, `seq`)."""
    return {
        "event_id": str(event.id),
        "endpoint_id": str(endpoint_id),
        "key": event.user_id,
        "seq": event.seq,
    }
