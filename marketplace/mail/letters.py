"""The letters the shop owes, queued in the transaction of the change they tell about
(`marketplace.mail.postman` builds and sends them when the outbox delivers).

An outbox entry (`mail.send`) holds the message's name, the recipient as known when it was owed,
and the facts the message states as they were then (amounts, dates, add-on names). Only what
must come from the database at delivery — an order, its lines and its receipt PDF — is named
by id: the PDF is drawn at delivery, never stored in the outbox.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from marketplace.billing import outbox
from marketplace.mail import contacts

log = logging.getLogger(__name__)

ORDER_CONFIRMATION = "order_confirmation"
SUBSCRIPTION_CANCELLED = "subscription_cancelled"
REFUND_ISSUED = "refund_issued"
RENEWAL_FAILED = "renewal_failed"


def owe(session: Session, user_id: str, message: str, facts: dict[str, Any]) -> list[uuid.UUID]:
    """Queue `message` to the user in the caller's transaction (its outbox entry's id); none,
    with a log line, when the user never signed in with an e-mail address."""
    contact = contacts.contact_of(session, user_id)
    if contact is None:
        log.info("no e-mail address known for user %s: %s skipped", user_id, message)
        return []
    payload = {"message": message, "user_id": user_id, "to": contact.email, "name": contact.name}
    return [outbox.enqueue(session, outbox.SEND_MAIL, {**payload, **facts})]


def order_confirmation(session: Session, user_id: str, order_id: uuid.UUID) -> list[uuid.UUID]:
    """A paid order: its number, what was bought, the total, the receipt PDF attached."""
    return owe(session, user_id, ORDER_CONFIRMATION, {"order_id": str(order_id)})


def subscription_cancelled(
    session: Session,
    user_id: str,
    add_on: str,
    *,
    cancelled_at: datetime,
    access_until: datetime | None,
    refunded: Decimal | None = None,
    currency: str = "USD",
    by_shopper: bool = True,
    by_staff: bool = False,
    reason: str | None = None,
) -> list[uuid.UUID]:
    """A cancelled subscription: until when it still works (None: it stopped at once), what
    was given back (None: nothing), and whether the shopper cancelled it, the marketplace's
    staff did (`by_staff`, for `reason` when given) or the payment provider ended it."""
    facts = {
        "add_on": add_on,
        "by_shopper": by_shopper,
        "by_staff": by_staff,
        "reason": reason,
        "cancelled_at": cancelled_at.isoformat(),
        "access_until": access_until.isoformat() if access_until else None,
        "refunded": str(refunded) if refunded else None,
        "currency": currency,
    }
    return owe(session, user_id, SUBSCRIPTION_CANCELLED, facts)


def refund_issued(
    session: Session,
    user_id: str,
    *,
    amount: Decimal,
    currency: str,
    add_ons: Sequence[str],
    order_number: str | None,
    reason: str | None,
) -> list[uuid.UUID]:
    """Money given back for lines of one order."""
    facts = {
        "amount": str(amount),
        "currency": currency,
        "add_ons": list(add_ons),
        "order_number": order_number,
        "reason": reason,
    }
    return owe(session, user_id, REFUND_ISSUED, facts)


def renewal_failed(
    session: Session,
    user_id: str,
    *,
    add_ons: Sequence[str],
    paid_until: datetime | None,
    amount_due: Decimal,
    currency: str,
    next_attempt: datetime | None,
    pay_url: str | None = None,
) -> list[uuid.UUID]:
    """A renewal payment the provider could not collect: the add-ons run until `paid_until`
    unless it is paid (`pay_url`: where to pay it now)."""
    facts = {
        "add_ons": list(add_ons),
        "paid_until": paid_until.isoformat() if paid_until else None,
        "amount_due": str(amount_due),
        "currency": currency,
        "next_attempt": next_attempt.isoformat() if next_attempt else None,
        "pay_url": pay_url,
    }
    return owe(session, user_id, RENEWAL_FAILED, facts)
