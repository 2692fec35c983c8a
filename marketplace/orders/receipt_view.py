"""What a receipt says, as plain labelled rows: the HTML page and the PDF both render this one
view, so their wording cannot drift apart.

Only characters the PDF's core fonts have (Latin-1) are used here: "-" for minus, non-breaking
spaces inside a date so "14:05 UTC" never breaks across lines.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from marketplace.catalog.icons import add_on_icon
from marketplace.models import AddOnPurchase, Order
from marketplace.pricing.money import ZERO, format_money
from marketplace.vocabulary import DiscountKind, OrderStatus

NBSP = "\u00a0"
NO_TAX = "No tax was collected on this order."
KEEP = "Keep this receipt for your records. Questions? Contact us with your order number."
COLUMNS = ("Item", "Period", "Quantity", "Amount")
_KIND_ORDER = {kind: position for position, kind in enumerate(DiscountKind)}


@dataclass(frozen=True)
class Seller:
    """Who sells (settings SELLER_NAME, SELLER_ADDRESS, SELLER_TAX_ID)."""

    name: str
    address: str
    tax_id: str = ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Seller:
        return cls(config["SELLER_NAME"], config["SELLER_ADDRESS"], config["SELLER_TAX_ID"])

    @property
    def lines(self) -> tuple[str, ...]:
        tax_id = (f"Tax ID: {self.tax_id}",) if self.tax_id else ()
        return (self.address, *tax_id)


@dataclass(frozen=True)
class Row:
    """A label and its value; `strong` for the totals that matter most."""

    label: str
    value: str
    strong: bool = False


@dataclass(frozen=True)
class Line:
    """One line of the order: what, for which period, how many, its price before discounts, and
    the discounts and refunds that apply to it (`adjustments`)."""

    item: str
    period: str
    quantity: str
    amount: str
    adjustments: tuple[Row, ...]
    # Pictures, not words: the HTML shows the icon on its category's tile; the PDF leaves it out.
    icon: str = ""
    category: str = ""


@dataclass(frozen=True)
class ReceiptView:
    """Everything a receipt shows, in reading order."""

    number: str
    seller_name: str
    seller_lines: tuple[str, ...]
    facts: tuple[Row, ...]
    lines: tuple[Line, ...]
    totals: tuple[Row, ...]
    notes: tuple[str, ...]
    issued_at: datetime
    columns: tuple[str, ...] = COLUMNS

    heading: str = "Receipt"

    @property
    def title(self) -> str:
        """ "Receipt MKT-2026-000123" (the page keeps the number on one line)."""
        return f"{self.heading} {self.number}"

    @property
    def filename(self) -> str:
        return f"receipt-{self.number}.pdf"

    def texts(self) -> list[str]:
        """Every piece of wording, in reading order (what both renderings must show)."""
        texts = [self.seller_name, *self.seller_lines, self.title]
        texts += [text for row in self.facts for text in (row.label, row.value)]
        texts += list(self.columns)
        for line in self.lines:
            texts += [line.item, line.period, line.quantity, line.amount]
            texts += [text for row in line.adjustments for text in (row.label, row.value)]
        texts += [text for row in self.totals for text in (row.label, row.value)]
        return texts + list(self.notes)


def when(moment: datetime) -> str:
    """A moment as people read it: 26 November 2026, 14:05 UTC (never split inside a part)."""
    return f"{moment.day}{NBSP}{moment:%B}{NBSP}{moment.year}, {moment:%H:%M}{NBSP}UTC"


def day(moment: datetime) -> str:
    """A date as people read it: 26 November 2026."""
    return f"{moment.day}{NBSP}{moment:%B}{NBSP}{moment.year}"


def customer(user_id: str) -> str:
    """The shopper as a receipt names them: their user id, unless it is a bare UUID (Keycloak's
    `sub`), which becomes a short account reference: "Account 3F2A9C1B"."""
    try:
        return f"Account {uuid.UUID(user_id).hex[:8].upper()}"
    except ValueError:
        return user_id


def receipt_view(order: Order, seller: Seller) -> ReceiptView:
    """The receipt of a paid order (one with a number)."""
    if order.number is None or order.paid_at is None:
        raise ValueError("only a paid order has a receipt")
    facts = [
        Row("Order number", order.number),
        Row("Date", when(order.paid_at)),
        Row("Customer", customer(order.user_id)),
        Row("Status", OrderStatus(order.status).label),
    ]
    if order.payment_reference:
        facts.append(Row("Payment reference", order.payment_reference))
    notes = () if order.tax is not None else (NO_TAX,)
    return ReceiptView(
        number=order.number,
        seller_name=seller.name,
        seller_lines=seller.lines,
        facts=tuple(facts),
        # Lines written in one transaction share created_at; the name keeps their order stable.
        lines=tuple(
            _line(line, order.currency)
            for line in sorted(order.lines, key=lambda line: (line.created_at, line.add_on.name))
        ),
        totals=_totals(order),
        notes=(*notes, KEEP),
        issued_at=order.paid_at,
    )


def _line(line: AddOnPurchase, currency: str) -> Line:
    discounts = sorted(line.discounts, key=lambda d: _KIND_ORDER[DiscountKind(d.kind)])
    adjustments = [Row(d.label, _minus(d.amount, currency)) for d in discounts]
    if line.refund_amount and line.refunded_at:
        label = f"Refunded on {day(line.refunded_at)}"
        if line.refund_reason:
            label = f"{label}: {line.refund_reason}"
        adjustments.append(Row(label, _minus(line.refund_amount, currency)))
    return Line(
        item=line.add_on.name,
        period=line.billing.label,
        quantity=str(line.quantity),
        amount=format_money(line.amount + line.discount_amount, currency),
        adjustments=tuple(adjustments),
        icon=add_on_icon(line.add_on.meta, line.add_on.category),
        category=line.add_on.category or "",
    )


def _totals(order: Order) -> tuple[Row, ...]:
    currency = order.currency
    discounts = sum((d.amount for line in order.lines for d in line.discounts), ZERO)
    refunded = sum((line.refund_amount or ZERO for line in order.lines), ZERO)
    if order.status == OrderStatus.REFUNDED:
        refunded = order.total  # all of it, the tax collected on it included
    rows = [Row("Subtotal", format_money(order.subtotal, currency))]
    if discounts:
        rows.append(Row("Discounts", _minus(discounts, currency)))
    if order.tax is not None:
        rows.append(Row("Tax", format_money(order.tax, currency)))
    rows.append(Row("Total charged", format_money(order.total, currency), strong=True))
    if refunded:
        rows.append(Row("Refunded", _minus(refunded, currency)))
        rows.append(Row("Net paid", format_money(order.total - refunded, currency), strong=True))
    return tuple(rows)


def _minus(amount: Decimal, currency: str) -> str:
    return "-" + format_money(amount, currency)
