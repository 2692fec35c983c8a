"""What a provider's webhook tells the shop, as typed events (Decimal money, aware datetimes).

A provider turns its own payload into one of these at the boundary (`parse_event`), so
nothing past `payments/` knows a provider's field names, units or API versions.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

# Purchase ids per metadata value: Stripe allows 500 characters per value.
METADATA_CHUNK = 13
PURCHASE_IDS_PREFIX = "purchase_ids_"


class MalformedEvent(Exception):
    """A signed event that does not have the shape its type promises."""


@dataclass(frozen=True)
class ProviderEvent:
    """The provider's id for the event (for deduplication) and its own name for the type."""

    event_id: str
    event_type: str


@dataclass(frozen=True)
class SessionPaid(ProviderEvent):
    """A checkout session was paid (at once, or when an async payment succeeded)."""

    session_id: str
    payment_reference: str | None
    subscription_id: str | None
    purchase_ids: tuple[uuid.UUID, ...]
    user_id: str | None
    # What the provider computed and charged when it collected tax (Stripe Tax), else None.
    amount_tax: Decimal | None = None
    amount_total: Decimal | None = None


@dataclass(frozen=True)
class SessionClosed(ProviderEvent):
    """A checkout session expired or its payment failed: nothing was charged."""

    session_id: str
    reason: str
    purchase_ids: tuple[uuid.UUID, ...]
    user_id: str | None
    payment_failed: bool = False


@dataclass(frozen=True)
class InvoiceLine:
    """One line of a paid invoice: what it charged (after its own discounts, before tax; a
    credit is negative) for `quantity`."""

    amount: Decimal
    quantity: int


@dataclass(frozen=True)
class PaidInvoice:
    """A renewal invoice as paid: its id, the reference a refund of it names, its lines, and the
    tax the provider collected (None: none)."""

    id: str
    payment_reference: str
    currency: str
    lines: tuple[InvoiceLine, ...]
    tax: Decimal | None = None


@dataclass(frozen=True)
class RenewalPaid(ProviderEvent):
    """A subscription's renewal invoice was paid, covering the period ending `period_end`."""

    subscription_id: str
    period_end: datetime | None
    invoice: PaidInvoice


@dataclass(frozen=True)
class RenewalFailed(ProviderEvent):
    """A subscription's renewal invoice could not be paid: `amount_due` is owed, the provider
    tries again at `next_attempt` (None: it will not), and the shopper can pay it at `pay_url`
    (the provider's invoice page), if any."""

    subscription_id: str
    amount_due: Decimal
    currency: str
    next_attempt: datetime | None
    pay_url: str | None = None


@dataclass(frozen=True)
class SubscriptionEnded(ProviderEvent):
    subscription_id: str


@dataclass(frozen=True)
class PaymentRefunded(ProviderEvent):
    """The payment named by `payment_references` has `amount_refunded` refunded in all;
    `refund_id` is the provider's latest refund of it, when the event lists its refunds."""

    payment_references: tuple[str, ...]
    amount_refunded: Decimal
    refund_id: str | None = None


@dataclass(frozen=True)
class Ignored(ProviderEvent):
    """An event the shop does not act on (acknowledged so the provider stops resending it)."""


PaymentEvent = (
    SessionPaid
    | SessionClosed
    | RenewalPaid
    | RenewalFailed
    | SubscriptionEnded
    | PaymentRefunded
    | Ignored
)


def purchase_ids_metadata(purchase_ids: list[str]) -> dict[str, str]:
    """The purchase ids of a checkout as metadata values, `METADATA_CHUNK` per value."""
    return {
        f"{PURCHASE_IDS_PREFIX}{index // METADATA_CHUNK}": ",".join(
            purchase_ids[index : index + METADATA_CHUNK]
        )
        for index in range(0, len(purchase_ids), METADATA_CHUNK)
    }


def purchase_ids_from(metadata: Mapping[str, object] | None) -> tuple[uuid.UUID, ...]:
    """The purchase ids `purchase_ids_metadata` wrote; anything else in the metadata is skipped."""
    ids: list[uuid.UUID] = []
    for key, value in sorted((metadata or {}).items()):
        if key.startswith(PURCHASE_IDS_PREFIX) and isinstance(value, str) and value:
            for part in value.split(","):
                try:
                    ids.append(uuid.UUID(part))
                except ValueError:
                    continue
    return tuple(ids)
