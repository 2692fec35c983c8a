"""Payment events → fulfilment: each event type to the one function that owns it.

Events arrive typed from `payments` (verified, parsed, Decimal amounts). Ignored types are
acknowledged. The event id goes with every call, so a redelivered event is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from marketplace.checkout import fulfilment, lifecycle
from marketplace.checkout.outcomes import NOTHING, Event, Outcome
from marketplace.payments.events import (
    Ignored,
    PaymentEvent,
    PaymentRefunded,
    ProviderEvent,
    RenewalFailed,
    RenewalPaid,
    SessionClosed,
    SessionPaid,
    SubscriptionEnded,
)


def _ref(event: ProviderEvent) -> Event:
    return Event(id=event.event_id, type=event.event_type)


def _session_paid(session: Session, event: SessionPaid) -> Outcome:
    payment = fulfilment.Payment(
        session_id=event.session_id,
        payment_reference=event.payment_reference,
        subscription_id=event.subscription_id,
        purchase_ids=event.purchase_ids,
        user_id=event.user_id,
        tax=event.amount_tax,
        amount_total=event.amount_total,
    )
    return fulfilment.fulfil(session, payment, event=_ref(event))


def _session_closed(session: Session, event: SessionClosed) -> Outcome:
    return fulfilment.release(
        session,
        event.session_id,
        event.reason,
        purchase_ids=event.purchase_ids,
        user_id=event.user_id,
        event=_ref(event),
        payment_failed=event.payment_failed,
    )


def _renewal_paid(session: Session, event: RenewalPaid) -> Outcome:
    return lifecycle.renew(
        session, event.subscription_id, event.period_end, invoice=event.invoice, event=_ref(event)
    )


def _renewal_failed(session: Session, event: RenewalFailed) -> Outcome:
    return lifecycle.renewal_failed(
        session,
        event.subscription_id,
        amount_due=event.amount_due,
        currency=event.currency,
        next_attempt=event.next_attempt,
        pay_url=event.pay_url,
        event=_ref(event),
    )


def _subscription_ended(session: Session, event: SubscriptionEnded) -> Outcome:
    return lifecycle.end_subscription(session, event.subscription_id, event=_ref(event))


def _payment_refunded(session: Session, event: PaymentRefunded) -> Outcome:
    return lifecycle.refund(
        session,
        event.payment_references,
        event.amount_refunded,
        refund_id=event.refund_id,
        event=_ref(event),
    )


def _ignored(session: Session, event: Ignored) -> Outcome:
    return NOTHING


HANDLERS: dict[type, Callable[[Session, Any], Outcome]] = {
    SessionPaid: _session_paid,
    SessionClosed: _session_closed,
    RenewalPaid: _renewal_paid,
    RenewalFailed: _renewal_failed,
    SubscriptionEnded: _subscription_ended,
    PaymentRefunded: _payment_refunded,
    Ignored: _ignored,
}


def handle(session: Session, event: PaymentEvent) -> Outcome:
    """Apply one verified payment event; return what changed."""
    return HANDLERS[type(event)](session, event)
