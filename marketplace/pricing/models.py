"""Plain data in and out of the pricing engine: money is Decimal, times are timezone-aware."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from marketplace.vocabulary import BillingType, DiscountType

from .money import ZERO, round_money
from .validity import require_aware

MAX_QUANTITY = 100
"""The most units one cart line holds (the cart_items CHECK, forms and templates use it)."""


def _require_amount(value: Decimal | None, name: str) -> None:
    if value is None:
        return
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be zero or more, got {value}")


def _require_percent(value: Decimal | None, name: str) -> None:
    _require_amount(value, name)
    if value is not None and value > 100:
        raise ValueError(f"{name} must be between 0 and 100, got {value}")


# Inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CartLine:
    """One add-on in the cart, at its catalogue unit price before any discount."""

    add_on_id: UUID
    name: str
    unit_price: Decimal
    billing_type: str
    quantity: int

    def __post_init__(self) -> None:
        _require_amount(self.unit_price, f"{self.name}: unit_price")
        if self.billing_type not in tuple(BillingType):
            raise ValueError(
                f"{self.name}: billing_type must be one of {', '.join(BillingType)}, "
                f"got {self.billing_type!r}"
            )
        quantity_is_int = isinstance(self.quantity, int) and not isinstance(self.quantity, bool)
        if not quantity_is_int or not 1 <= self.quantity <= MAX_QUANTITY:
            raise ValueError(
                f"{self.name}: quantity must be a whole number from 1 to {MAX_QUANTITY}, "
                f"got {self.quantity!r}"
            )

    @property
    def subtotal(self) -> Decimal:
        """Unit price × quantity, rounded; before any discount."""
        return round_money(self.unit_price * self.quantity)


@dataclass(frozen=True)
class TierRule:
    """A discount on one add-on, for one subscription tier (``tier_code`` None = every tier).

    ``conditions`` understood (``rules.CONDITION_KEYS``): ``min_quantity`` (int) and
    ``requires_add_ons`` (add-on ids held in the cart or already owned). A rule with any other
    condition never applies.
    """

    id: UUID
    add_on_id: UUID
    tier_code: str | None
    discount_percent: Decimal | None
    discount_amount: Decimal | None
    conditions: Mapping[str, Any]
    priority: int
    is_active: bool = True
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def __post_init__(self) -> None:
        _require_percent(self.discount_percent, "discount_percent")
        _require_amount(self.discount_amount, "discount_amount")
        require_aware(self.valid_from, "valid_from")
        require_aware(self.valid_until, "valid_until")


@dataclass(frozen=True)
class BundleOffer:
    """A discount on a set of add-ons bought together."""

    id: UUID
    name: str
    add_on_ids: tuple[UUID, ...]
    discount_percent: Decimal | None
    discount_amount: Decimal | None
    is_active: bool = True
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def __post_init__(self) -> None:
        if not self.add_on_ids:
            raise ValueError(f"{self.name}: a bundle needs at least one add-on")
        _require_percent(self.discount_percent, f"{self.name}: discount_percent")
        _require_amount(self.discount_amount, f"{self.name}: discount_amount")
        require_aware(self.valid_from, "valid_from")
        require_aware(self.valid_until, "valid_until")


@dataclass(frozen=True)
class PromoCode:
    """A promotional code as stored; ``applicable_to`` None means every add-on.

    ``user_restrictions`` understood: ``first_purchase_only`` (bool), ``tier`` (a tier code or a
    list of them) and ``once_per_user`` (bool).
    """

    code: str
    discount_type: str
    discount_value: Decimal
    max_uses: int | None
    current_uses: int
    applicable_to: tuple[UUID, ...] | None
    expires_at: datetime | None
    is_active: bool = True
    valid_from: datetime | None = None
    min_purchase_amount: Decimal | None = None
    user_restrictions: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.discount_type not in tuple(DiscountType):
            raise ValueError(
                f"{self.code}: discount_type must be one of {', '.join(DiscountType)}, "
                f"got {self.discount_type!r}"
            )
        if self.discount_type == DiscountType.PERCENTAGE:
            _require_percent(self.discount_value, f"{self.code}: discount_value")
        else:
            _require_amount(self.discount_value, f"{self.code}: discount_value")
        _require_amount(self.min_purchase_amount, f"{self.code}: min_purchase_amount")
        require_aware(self.valid_from, "valid_from")
        require_aware(self.expires_at, "expires_at")


@dataclass(frozen=True)
class Shopper:
    """What pricing needs to know about the person buying."""

    tier: str | None = None
    has_completed_purchase: bool = False
    owned_add_on_ids: frozenset[UUID] = frozenset()
    used_promo_codes: frozenset[str] = frozenset()
    """Codes this shopper already redeemed, upper-cased."""


# Outputs ------------------------------------------------------------------------------------


class RejectionReason(StrEnum):
    """Why a promo code was not applied; stable values for code, tests and analytics."""

    UNKNOWN = "unknown"
    INACTIVE = "inactive"
    NOT_STARTED = "not_started"
    EXPIRED = "expired"
    USED_UP = "used_up"
    FIRST_PURCHASE_ONLY = "first_purchase_only"
    TIER_REQUIRED = "tier_required"
    ALREADY_USED = "already_used"
    UNSUPPORTED_RESTRICTION = "unsupported_restriction"
    EMPTY_CART = "empty_cart"
    NOT_APPLICABLE = "not_applicable"
    BELOW_MINIMUM = "below_minimum"


@dataclass(frozen=True)
class PromoRejection:
    """A promo code that was not applied: the reason, and a message the shopper can read."""

    reason: RejectionReason
    message: str


@dataclass(frozen=True)
class AppliedPromo:
    """A promo code that was applied, and how much it takes off the first payment."""

    code: str
    discount: Decimal


@dataclass(frozen=True)
class AppliedBundle:
    """A bundle that was applied, and how much it takes off every period."""

    bundle_id: UUID
    name: str
    discount: Decimal


@dataclass(frozen=True, kw_only=True)
class LineQuote:
    """The price of one cart line, discount by discount."""

    add_on_id: UUID
    name: str
    billing_type: str
    quantity: int
    unit_price: Decimal
    subtotal: Decimal
    tier_discount: Decimal
    tier_rule_id: UUID | None
    bundle_discount: Decimal
    bundle_id: UUID | None
    promo_discount: Decimal

    @property
    def recurring_total(self) -> Decimal:
        """What every period costs: after tier and bundle discounts, without the promo code.

        For a one-time line this is simply its price.
        """
        return self.subtotal - self.tier_discount - self.bundle_discount

    @property
    def due_today(self) -> Decimal:
        """The first payment: the recurring total less the promo discount."""
        return self.recurring_total - self.promo_discount


@dataclass(frozen=True, kw_only=True)
class Totals:
    """Sums over a group of priced lines; each total is a sum of rounded line amounts."""

    lines: tuple[LineQuote, ...]

    def _sum(self, amount: Callable[[LineQuote], Decimal]) -> Decimal:
        return sum((amount(line) for line in self.lines), ZERO)

    @property
    def subtotal(self) -> Decimal:
        """Before any discount."""
        return self._sum(lambda line: line.subtotal)

    @property
    def tier_discount(self) -> Decimal:
        return self._sum(lambda line: line.tier_discount)

    @property
    def bundle_discount(self) -> Decimal:
        return self._sum(lambda line: line.bundle_discount)

    @property
    def promo_discount(self) -> Decimal:
        return self._sum(lambda line: line.promo_discount)

    @property
    def recurring_total(self) -> Decimal:
        """After tier and bundle discounts, without the promo code."""
        return self._sum(lambda line: line.recurring_total)

    @property
    def due_today(self) -> Decimal:
        """After every discount, the promo code included."""
        return self._sum(lambda line: line.due_today)


@dataclass(frozen=True, kw_only=True)
class PeriodTotals(Totals):
    """The lines of one billing type and their totals."""

    billing_type: str

    @property
    def renewal(self) -> Decimal | None:
        """What each following period costs (no promo code); None for one-time lines."""
        return None if self.billing_type == BillingType.ONE_TIME else self.recurring_total


@dataclass(frozen=True, kw_only=True)
class Quote(Totals):
    """A priced cart: lines in input order, what applied, and why a promo code did not."""

    applied_bundles: tuple[AppliedBundle, ...] = ()
    promo: AppliedPromo | None = None
    promo_rejection: PromoRejection | None = None

    @property
    def periods(self) -> tuple[PeriodTotals, ...]:
        """Totals per billing type present in the cart, one-time first."""
        return tuple(
            PeriodTotals(billing_type=billing_type, lines=lines)
            for billing_type in BillingType  # in definition order: one-time first
            if (lines := tuple(line for line in self.lines if line.billing_type == billing_type))
        )
