"""The marketplace's words, defined once: billing types, discount types and every status.

Each is a `StrEnum`, so a member is the very string stored in PostgreSQL (the CHECK
constraints list the same values) and compares equal to it. Pure: the pricing engine, the
models, services and templates all read it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class BillingType(StrEnum):
    """How an add-on is charged."""

    ONE_TIME = "one_time"
    MONTHLY = "monthly"
    ANNUAL = "annual"
    USAGE_BASED = "usage_based"

    @property
    def label(self) -> str:
        """A period's heading: "Monthly" (cart totals, receipts)."""
        return _WORDS[self].label

    @property
    def phrase(self) -> str:
        """After a price in a sentence: "per month"."""
        return _WORDS[self].phrase

    @property
    def suffix(self) -> str:
        """Right after a price: "/mo"."""
        return _WORDS[self].suffix

    @property
    def months(self) -> int | None:
        """The months one payment covers; None for a one-time purchase (it never expires).

        Usage-based add-ons pay a monthly base fee (their usage is billed by Lago).
        """
        return _WORDS[self].months

    @property
    def interval(self) -> str | None:
        """The payment provider's recurring interval ("month", "year"), or None."""
        return {1: "month", 12: "year"}.get(self.months or 0)


class _Billing(NamedTuple):
    label: str
    phrase: str
    suffix: str
    months: int | None


_WORDS = {
    BillingType.ONE_TIME: _Billing("One-time", "one-time payment", "", None),
    BillingType.MONTHLY: _Billing("Monthly", "per month", "/mo", 1),
    BillingType.ANNUAL: _Billing("Annual", "per year", "/yr", 12),
    BillingType.USAGE_BASED: _Billing("Usage-based", "usage-based", "/mo + usage", 1),
}


class DiscountType(StrEnum):
    """How a promo code discounts: a percentage, or a fixed amount capped at what it covers."""

    PERCENTAGE = "percentage"
    FIXED_AMOUNT = "fixed_amount"


class PurchaseStatus(StrEnum):
    """One line of a checkout: pending until paid, then completed (or refunded), or failed."""

    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    REFUNDED = "refunded"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class OrderStatus(StrEnum):
    """A checkout as a whole (`orders.status`), derived from its lines when they change."""

    PENDING = "pending"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        """How the purchases page and the receipt name it: "Partially refunded"."""
        return _ORDER_LABELS.get(self, self.value.capitalize())


_ORDER_LABELS = {
    OrderStatus.PENDING: "Awaiting payment",
    OrderStatus.PARTIALLY_REFUNDED: "Partially refunded",
    OrderStatus.FAILED: "Payment failed",
    OrderStatus.EXPIRED: "Not paid",
}


class DiscountKind(StrEnum):
    """Where a discount on an order line came from (`purchase_discounts.kind`)."""

    TIER = "tier"
    BUNDLE = "bundle"
    PROMO = "promo"
    OTHER = "other"  # orders recorded before discounts were itemised


class SubscriptionStatus(StrEnum):
    """A shopper's holding of an add-on (`user_add_ons.status`)."""

    ACTIVE = "active"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    PENDING = "pending"
    SUSPENDED = "suspended"


class FunnelStep(StrEnum):
    """A step of the purchase funnel (`funnel_events.step`), in order."""

    CART = "cart"
    CHECKOUT = "checkout"
    PAID = "paid"

    @property
    def label(self) -> str:
        return {"cart": "Added to cart", "checkout": "Started checkout", "paid": "Paid"}[self]


class OutboxStatus(StrEnum):
    """An outbox entry: pending until delivered; failed when its retries ran out (webhooks)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


def sql_list(enum: type[StrEnum]) -> str:
    """The members as a SQL list for a CHECK constraint: `'a', 'b'`."""
    return ", ".join(f"'{member.value}'" for member in enum)


class Role(StrEnum):
    """What a signed-in user may do: shop, read the admin area (support), or run it (admin)."""

    SHOPPER = "shopper"
    SUPPORT = "support"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"shopper": "Shopper", "support": "Support (read-only)", "admin": "Admin"}[self]
