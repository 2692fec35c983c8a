"""Deliver a `mail.send` outbox entry: build the letter it owes, compose it, send it.

The letter is built at delivery from the entry's facts; an order's lines and receipt PDFs are
read from the database then (the PDF is drawn, never stored in the outbox).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from marketplace.account import queries as account_queries
from marketplace.account.receipts import receipt_pdf
from marketplace.checkout.settlement import amount_charged, purchases_of
from marketplace.mail import compose
from marketplace.mail.compose import Attachment, Letter
from marketplace.mail.letters import (
    ORDER_CONFIRMATION,
    REFUND_ISSUED,
    RENEWAL_FAILED,
    SUBSCRIPTION_CANCELLED,
)
from marketplace.mail.transport import Transport, transport_for
from marketplace.pricing.money import format_money
from marketplace.vocabulary import PurchaseStatus

# Links in e-mail need the shop's address, and delivery has no request: PUBLIC_BASE_URL, else
# where `make run` serves.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class Postman:
    """Sends the outbox's letters through `transport`, from `sender`, linking to `base_url`."""

    transport: Transport
    sender: str
    base_url: str

    def send(self, session: Session, payload: dict[str, Any]) -> None:
        """Build, compose and send the letter `payload` owes; raise when it could not be sent."""
        letter = build(session, payload, self.links())
        self.transport.send(compose.message(letter, sender=self.sender))

    def links(self) -> dict[str, str]:
        return {
            "shop": self.base_url + "/",
            "add_ons": self.base_url + "/account/add-ons",
            "purchases": self.base_url + "/account/purchases",
        }


def postman_for(config: Mapping[str, Any]) -> Postman:
    """The postman the configuration describes (SMTP, or `.eml` files without MAIL_SERVER)."""
    return Postman(
        transport=transport_for(config),
        sender=config["MAIL_DEFAULT_SENDER"],
        base_url=config.get("PUBLIC_BASE_URL") or DEFAULT_BASE_URL,
    )


def build(session: Session, payload: dict[str, Any], links: dict[str, str]) -> Letter:
    """The letter an outbox entry owes, with what it shows (dates and amounts parsed back)."""
    message = payload["message"]
    facts = {key: _revive(key, value) for key, value in payload.items()}
    facts["links"] = links
    attachments: tuple[Attachment, ...] = ()
    if message == ORDER_CONFIRMATION:
        facts, attachments = _order(session, facts)
    return Letter(
        to=payload["to"],
        name=payload.get("name"),
        subject=_subject(message, facts),
        template=message,
        context=facts,
        attachments=attachments,
    )


def _subject(message: str, facts: dict[str, Any]) -> str:
    if message == ORDER_CONFIRMATION:
        return f"Your order is confirmed: {format_money(facts['total'], facts['currency'])}"
    if message == SUBSCRIPTION_CANCELLED:
        return f"{facts['add_on']} is cancelled"
    if message == REFUND_ISSUED:
        return f"Refund issued: {format_money(facts['amount'], facts['currency'])}"
    if message == RENEWAL_FAILED:
        return f"Action needed: the renewal payment for {', '.join(facts['add_ons'])} failed"
    raise ValueError(f"unknown message {message!r}")


def _order(
    session: Session, facts: dict[str, Any]
) -> tuple[dict[str, Any], tuple[Attachment, ...]]:
    """The checkout's paid lines, their total and their receipt PDFs."""
    paid = [
        p
        for p in purchases_of(session, facts["user_id"], facts["checkout_session_id"])
        if p.status in (PurchaseStatus.COMPLETED, PurchaseStatus.REFUNDED)
    ]
    attachments = []
    for purchase in paid:
        receipt = account_queries.receipt(session, purchase.user_id, purchase.id)
        if receipt is not None:
            attachments.append(Attachment(f"receipt-{purchase.id}.pdf", receipt_pdf(receipt)))
    currency = paid[0].currency if paid else "USD"
    facts = {**facts, "lines": paid, "total": amount_charged(paid), "currency": currency}
    return facts, tuple(attachments)


def _revive(key: str, value: Any) -> Any:
    """A fact as the template wants it: dates and amounts were stored as ISO text."""
    if value is None:
        return None
    if key in ("cancelled_at", "access_until", "next_attempt", "paid_until"):
        return datetime.fromisoformat(value)
    if key in ("refunded", "amount", "amount_due"):
        return Decimal(value)
    return value
