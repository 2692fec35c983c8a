"""The outbox: Lago and payment-provider calls, and e-mail, owed since a commit, delivered after it.

`enqueue` runs inside the caller's transaction (fulfilment, cancellation), so the call is owed
exactly when the change it follows is committed. Lago entries go to Lago, `stripe.*` entries to
the payments provider (Stripe, or the offline one, which has nothing to do), `mail.send` entries
to the postman (`marketplace.mail.postman`), `webhook.deliver` entries to the webhook sender
(`marketplace.events.delivery`: many endpoints at once, in order per user); a runner without
one of them leaves its entries pending. `deliver` sends due entries one at a time,
each in its own short transaction with the row locked (`SKIP LOCKED`: parallel runners never
send the same entry twice); a failure keeps the entry with its error and a backed-off time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from marketplace.models import BillingOutboxEntry, UserAddOn
from marketplace.models.base import utcnow
from marketplace.vocabulary import OutboxStatus, SubscriptionStatus

CREATE_SUBSCRIPTION = "lago.subscription.create"
TERMINATE_SUBSCRIPTION = "lago.subscription.terminate"
CANCEL_PAYMENT_SUBSCRIPTION = "stripe.subscription.cancel"
SET_PAYMENT_RENEWAL = "stripe.subscription.renewal"
# One add-on of a subscription shared with others: its item goes (payload: subscription_id,
# add_on_id, cancel_if_last — what to do when it is the last item left).
REMOVE_PAYMENT_ITEM = "stripe.subscription.item.remove"
# Money given back (payload: payment_reference, amount as a decimal string, idempotency_key —
# the provider never refunds one key twice — and the purchase_ids it covers).
REFUND_PAYMENT = "stripe.refund"
# A letter to a shopper (payload: message, to, name, user_id and the facts it states; see
# marketplace.mail.letters).
SEND_MAIL = "mail.send"
# An event to one webhook endpoint (payload: event_id, endpoint_id, and key and seq — the user
# and the event's number, which order delivery; see marketplace.events.delivery).
DELIVER_EVENT = "webhook.deliver"
LAGO_KINDS = (CREATE_SUBSCRIPTION, TERMINATE_SUBSCRIPTION)
MAIL_KINDS = (SEND_MAIL,)
PAYMENT_KINDS = (
    CANCEL_PAYMENT_SUBSCRIPTION,
    SET_PAYMENT_RENEWAL,
    REMOVE_PAYMENT_ITEM,
    REFUND_PAYMENT,
)
BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=6)


def enqueue(session: Session, kind: str, payload: Mapping[str, Any]) -> uuid.UUID:
    """Add an entry in the caller's transaction; return its id."""
    entry = BillingOutboxEntry(id=uuid.uuid4(), kind=kind, payload=dict(payload))
    session.add(entry)
    session.flush()
    return entry.id


def lago_subscription_owed(session: Session, user_add_on: UserAddOn) -> bool:
    """Whether Lago has, or will have, a subscription for the row (its external id)."""
    return user_add_on.lago_subscription_id is not None or _create_pending(
        session, str(user_add_on.id)
    )


def due_count(session: Session, now: datetime | None = None) -> int:
    """How many pending entries are due (idx_billing_outbox_due): a run's work."""
    return session.scalars(
        select(func.count()).where(
            BillingOutboxEntry.status == OutboxStatus.PENDING,
            BillingOutboxEntry.next_attempt_at <= (now or utcnow()),
        )
    ).one()


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … doubling per failed attempt, at most 6 hours."""
    return min(BASE_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    still_pending: int = 0
    # Of those: events sent to webhook endpoints, and entries given up (retries ran out).
    events_delivered: int = 0
    events_failed: int = 0
    given_up: int = 0


def deliver(
    session: Session,
    *,
    lago=None,
    payments=None,
    mail=None,
    webhooks=None,
    ids: Sequence[uuid.UUID] | None = None,
    now: datetime | None = None,
    limit: int = 500,
    progress: Callable[[int], None] | None = None,
) -> DeliveryReport:
    """Send due pending entries (or only `ids`) to `lago` / `payments` / `mail` / `webhooks`,
    committing after each (after each batch, for webhooks); `progress` is told how many
    entries each step settled.

    Entries for a missing one of them (None) stay pending.
    """
    kinds = (
        (LAGO_KINDS if lago is not None else ())
        + (PAYMENT_KINDS if payments is not None else ())
        + (MAIL_KINDS if mail is not None else ())
    )
    report = DeliveryReport()
    now = now or utcnow()
    if webhooks is not None:
        webhooks.deliver(session, report, ids=ids, now=now, limit=limit, progress=progress)
    seen: set[uuid.UUID] = set()
    while report.delivered + report.failed < limit:
        entry = session.scalars(_next_entry(kinds, ids, now, seen)).first()
        if entry is None:
            break
        seen.add(entry.id)
        _attempt(session, (lago, payments, mail), entry, report)
        session.commit()
        if progress is not None:
            progress(1)
    report.still_pending = session.scalars(
        select(func.count()).where(BillingOutboxEntry.status == OutboxStatus.PENDING)
    ).one()
    session.commit()
    return report


def _attempt(
    session: Session,
    receivers: tuple[Any, Any, Any],
    entry: BillingOutboxEntry,
    report: DeliveryReport,
) -> None:
    """Send one entry: delivered, or its error kept and the next attempt backed off."""
    entry.attempts += 1
    try:
        _send(session, receivers, entry)
    except Exception as error:  # any failure is kept and retried
        entry.last_error = str(error)[:1000]
        entry.next_attempt_at = utcnow() + backoff(entry.attempts)
        report.failed += 1
        report.errors.append(f"{entry.kind} {entry.id}: {entry.last_error}")
    else:
        entry.status = OutboxStatus.DELIVERED
        entry.delivered_at = utcnow()
        entry.last_error = None
        report.delivered += 1


def _next_entry(
    kinds: Sequence[str],
    ids: Sequence[uuid.UUID] | None,
    now: datetime,
    seen: set[uuid.UUID],
) -> Select[tuple[BillingOutboxEntry]]:
    """The next pending entry to send, locked; one that another runner holds is skipped."""
    query = (
        select(BillingOutboxEntry)
        .where(
            BillingOutboxEntry.status == OutboxStatus.PENDING,
            BillingOutboxEntry.kind.in_(kinds),
        )
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
    return query


def _send(session: Session, receivers: tuple[Any, Any, Any], entry: BillingOutboxEntry) -> None:
    lago, payments, mail = receivers
    payload = entry.payload
    if entry.kind == SEND_MAIL:
        mail.send(session, payload)
    elif entry.kind == CREATE_SUBSCRIPTION:
        lago_id = lago.subscribe(
            payload["user_id"], payload["user_add_on_id"], payload["plan_code"]
        )
        session.execute(
            update(UserAddOn)
            .where(UserAddOn.id == uuid.UUID(payload["user_add_on_id"]))
            .values(lago_subscription_id=lago_id)
        )
    elif entry.kind == TERMINATE_SUBSCRIPTION:
        if _create_pending(session, payload["user_add_on_id"]):
            # Terminating first would find nothing, and the creation would then start billing.
            raise RuntimeError("waiting for the Lago subscription to be created first")
        lago.terminate(payload["user_add_on_id"])
    elif entry.kind == CANCEL_PAYMENT_SUBSCRIPTION:
        payments.cancel_subscription(payload["subscription_id"])
    elif entry.kind == SET_PAYMENT_RENEWAL:
        # Send what the rows want now, so entries delivered out of order still end right. A
        # suspended row (an admin's suspension) still holds the subscription: it renews no more.
        wanted = session.scalars(
            select(UserAddOn.auto_renew).where(
                UserAddOn.stripe_subscription_id == payload["subscription_id"],
                UserAddOn.status.in_((SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)),
            )
        ).all()
        if wanted:  # none active: cancelled, and the cancel entry ends it
            payments.set_renewal(payload["subscription_id"], any(wanted))
    elif entry.kind == REMOVE_PAYMENT_ITEM:
        payments.remove_subscription_item(
            payload["subscription_id"],
            payload["add_on_id"],
            cancel_if_last=bool(payload["cancel_if_last"]),
        )
    elif entry.kind == REFUND_PAYMENT:
        payments.refund(
            payload["payment_reference"], Decimal(payload["amount"]), payload["idempotency_key"]
        )
    else:
        raise ValueError(f"unknown outbox entry kind {entry.kind!r}")


def _create_pending(session: Session, user_add_on_id: str) -> bool:
    pending = select(BillingOutboxEntry.id).where(
        BillingOutboxEntry.kind == CREATE_SUBSCRIPTION,
        BillingOutboxEntry.status == OutboxStatus.PENDING,
        BillingOutboxEntry.payload["user_add_on_id"].astext == user_add_on_id,
    )
    return bool(session.scalar(select(pending.exists())))
