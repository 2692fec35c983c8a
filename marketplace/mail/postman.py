"""Deliver a `mail.send` outbox entry: build the letter it owes, compose it, send it.

The letter is built at delivery from the entry's facts; an order's lines and receipt PDFs are
read from the database then (the PDF is drawn, never stored in the outbox).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from marketplace.mail import compose
from marketplace.mail.compose import Attachment, Letter
from marketplace.mail.letters import (
    ORDER_CONFIRMATION,
    REFUND_ISSUED,
    RENEWAL_FAILED,
    SUBSCRIPTION_CANCELLED,
)
from marketplace.mail.transport import Transport, transport_for
from marketplace.orders import queries as order_queries
from marketplace.orders.receipt_view import Seller, receipt_view
from marketplace.orders.receipts import receipt_pdf
from marketplace.pricing.money import format_money

# Links in e-mail need the shop's address, and delivery has no request: PUBLIC_BASE_URL, else
# where `make run` serves.
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class Postman:
    """Sends the outbox's letters through `transport`, from `sender`, linking to `base_url`;
    receipts name `seller`."""

    transport: Transport
    sender: str
    base_url: str
    seller: Seller

    def send(self, session: Session, payload: dict[str, Any]) -> None:
        """Build, compose and send the letter `payload` owes; raise when it could not be sent."""
        letter = build(session, payload, self.links(), self.seller)
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
        seller=Seller.from_config(config),
    )


def build(
    session: Session, payload: dict[str, Any], links: dict[str, str], seller: Seller
) -> Letter:
    """The letter an outbox entry owes, with what it shows (dates and amounts parsed back)."""
    message = payload["message"]
    facts = {key: _revive(key, value) for key, value in payload.items()}
    facts["links"] = links
    attachments: tuple[Attachment, ...] = ()
    if message == ORDER_CONFIRMATION:
        facts, attachments = _order(session, facts, seller)
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
        order = facts["order"]
        total = format_money(order.total, order.currency)
        if order.invoice_id is not None:
            return f"Renewal {order.number} paid: {total}"
        return f"Order {order.number} confirmed: {total}"
    if message == SUBSCRIPTION_CANCELLED:
        return f"{facts['add_on']} is cancelled"
    if message == REFUND_ISSUED:
        return f"Refund issued: {format_money(facts['amount'], facts['currency'])}"
    if message == RENEWAL_FAILED:
        return f"Action needed: the renewal payment for {', '.join(facts['add_ons'])} failed"
    raise ValueError(f"unknown message {message!r}")


def _order(
    session: Session, facts: dict[str, Any], seller: Seller
) -> tuple[dict[str, Any], tuple[Attachment, ...]]:
    """The paid order, and its receipt as a PDF (the same one the purchases page offers)."""
    order = order_queries.receipt(session, facts["user_id"], uuid.UUID(facts["order_id"]))
    if order is None:
        raise LookupError(f"order {facts['order_id']} has no receipt (not paid)")
    view = receipt_view(order, seller)
    pdf = Attachment(view.filename, receipt_pdf(view))
    return {**facts, "order": order}, (pdf,)


def _revive(key: str, value: Any) -> Any:
    """A fact as the template wants it: dates and amounts were stored as ISO text."""
    if value is None:
        return None
    if key in ("cancelled_at", "access_until", "next_attempt", "paid_until"):
        return datetime.fromisoformat(value)
    if key in ("refunded", "amount", "amount_due"):
        return Decimal(value)
    return value
