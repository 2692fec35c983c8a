"""Promo codes: whether a code can be used on a cart, and how its discount spreads over it."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from marketplace.vocabulary import DiscountType

from .models import LineQuote, PromoCode, PromoRejection, RejectionReason, Shopper
from .money import ZERO, allocate, format_money, round_money
from .validity import has_ended, has_started, require_aware

UNKNOWN_PROMO = PromoRejection(RejectionReason.UNKNOWN, "We don't recognise this code.")
"""The rejection to show when no promo code matches what the shopper typed."""

RESTRICTION_KEYS = frozenset({"first_purchase_only", "tier", "once_per_user"})
"""The `user_restrictions` keys the engine understands (the admin form edits exactly these)."""


def normalize_code(code: str) -> str:
    """Return ``code`` in the form codes are compared in: trimmed and upper-cased."""
    return code.strip().upper()


@dataclass(frozen=True)
class _Attempt:
    """A code tried by a shopper on priced lines at a moment: what every check reads."""

    promo: PromoCode
    lines: Sequence[LineQuote]
    shopper: Shopper
    now: datetime


Check = Callable[[_Attempt], PromoRejection | None]


def _reject(reason: RejectionReason, message: str) -> PromoRejection:
    return PromoRejection(reason, message)


def _inactive(a: _Attempt) -> PromoRejection | None:
    if not a.promo.is_active:
        return _reject(RejectionReason.INACTIVE, "This code is no longer active.")
    return None


def _not_started(a: _Attempt) -> PromoRejection | None:
    if not has_started(a.promo.valid_from, a.now):
        return _reject(RejectionReason.NOT_STARTED, "This code isn't valid yet.")
    return None


def _expired(a: _Attempt) -> PromoRejection | None:
    if has_ended(a.promo.expires_at, a.now):
        return _reject(RejectionReason.EXPIRED, "This code has expired.")
    return None


def _used_up(a: _Attempt) -> PromoRejection | None:
    if a.promo.max_uses is not None and a.promo.current_uses >= a.promo.max_uses:
        return _reject(RejectionReason.USED_UP, "This code has reached its usage limit.")
    return None


def _unsupported(a: _Attempt) -> PromoRejection | None:
    # Fail closed: a condition we cannot check must not turn into a discount for everyone.
    if a.promo.user_restrictions.keys() - RESTRICTION_KEYS:
        return _reject(
            RejectionReason.UNSUPPORTED_RESTRICTION,
            "This code has conditions we can't check here, so it can't be applied.",
        )
    return None


def _not_first_purchase(a: _Attempt) -> PromoRejection | None:
    if a.promo.user_restrictions.get("first_purchase_only") and a.shopper.has_completed_purchase:
        return _reject(
            RejectionReason.FIRST_PURCHASE_ONLY, "This code is for your first purchase only."
        )
    return None


def _already_used(a: _Attempt) -> PromoRejection | None:
    once = a.promo.user_restrictions.get("once_per_user")
    if once and normalize_code(a.promo.code) in a.shopper.used_promo_codes:
        return _reject(RejectionReason.ALREADY_USED, "You have already used this code.")
    return None


def _wrong_tier(a: _Attempt) -> PromoRejection | None:
    tier = a.promo.user_restrictions.get("tier")
    tiers = (tier,) if isinstance(tier, str) else tuple(tier or ())
    if tiers and a.shopper.tier not in tiers:
        return _reject(
            RejectionReason.TIER_REQUIRED, f"This code is for {' or '.join(tiers)} members."
        )
    return None


def _empty_cart(a: _Attempt) -> PromoRejection | None:
    if not a.lines:
        return _reject(
            RejectionReason.EMPTY_CART, "Add something to your cart before using a code."
        )
    return None


def _not_applicable(a: _Attempt) -> PromoRejection | None:
    if not any(_applies_to(a.promo, line.add_on_id) for line in a.lines):
        return _reject(
            RejectionReason.NOT_APPLICABLE, "This code doesn't apply to anything in your cart."
        )
    return None


def _below_minimum(a: _Attempt) -> PromoRejection | None:
    total = sum((line.recurring_total for line in a.lines), ZERO)
    minimum = a.promo.min_purchase_amount
    if minimum is not None and total < minimum:
        return _reject(
            RejectionReason.BELOW_MINIMUM,
            f"Add {format_money(minimum - total)} more to use this code "
            f"(minimum {format_money(minimum)}).",
        )
    return None


# The shopper's purchase history: checked again when a payment is fulfilled.
HISTORY_CHECKS: tuple[Check, ...] = (_not_first_purchase, _already_used)
# In order: the code itself, then the shopper, then the cart; the first failure is reported.
CHECKS: tuple[Check, ...] = (
    _inactive,
    _not_started,
    _expired,
    _used_up,
    _unsupported,
    *HISTORY_CHECKS,
    _wrong_tier,
    _empty_cart,
    _not_applicable,
    _below_minimum,
)


def _first_rejection(checks: Sequence[Check], attempt: _Attempt) -> PromoRejection | None:
    for check in checks:
        rejection = check(attempt)
        if rejection is not None:
            return rejection
    return None


def history_rejection(promo: PromoCode, shopper: Shopper) -> PromoRejection | None:
    """Return why the shopper's purchase history rules ``promo`` out, or None.

    Checked again when a payment is fulfilled: another checkout may have completed since.
    """
    # History checks read neither the lines nor the time.
    attempt = _Attempt(promo, (), shopper, datetime.min.replace(tzinfo=UTC))
    return _first_rejection(HISTORY_CHECKS, attempt)


def check_promo(
    promo: PromoCode, lines: Sequence[LineQuote], *, shopper: Shopper, now: datetime
) -> PromoRejection | None:
    """Return why ``promo`` cannot be used on ``lines`` by ``shopper`` at ``now``, or None.

    ``lines`` are priced after tier and bundle discounts. The code itself is checked first
    (active, started, not expired, uses left), then the shopper (restrictions), then the cart
    (not empty, something the code applies to, minimum); the first failure is reported. The
    minimum is compared with the whole cart after tier and bundle discounts, not only with the
    lines the code applies to, since that is the total the shopper sees next to the code field.
    """
    require_aware(now, "now")
    return _first_rejection(CHECKS, _Attempt(promo, lines, shopper, now))


def promo_discounts(promo: PromoCode, lines: Sequence[LineQuote]) -> dict[UUID, Decimal]:
    """Return the discount ``promo`` gives each line it applies to, by add-on id.

    The discount is a percentage of, or a fixed amount capped at, the applicable lines' total
    after tier and bundle discounts, rounded half up and split in proportion to those lines.
    """
    amounts = {
        line.add_on_id: line.recurring_total for line in lines if _applies_to(promo, line.add_on_id)
    }
    applicable = sum(amounts.values(), ZERO)
    if promo.discount_type == DiscountType.PERCENTAGE:
        discount = round_money(applicable * promo.discount_value / 100)
    else:
        discount = min(round_money(promo.discount_value), applicable)
    return allocate(discount, amounts)


def _applies_to(promo: PromoCode, add_on_id: UUID) -> bool:
    return promo.applicable_to is None or add_on_id in promo.applicable_to
