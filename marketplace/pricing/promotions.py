"""Promo codes: whether a code can be used on a cart, and how its discount spreads over it."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from .models import LineQuote, PromoCode, PromoRejection, RejectionReason, Shopper
from .money import ZERO, allocate, round_money
from .validity import has_ended, has_started, require_aware

UNKNOWN_PROMO = PromoRejection(RejectionReason.UNKNOWN, "We don't recognise this code.")
"""The rejection to show when no promo code matches what the shopper typed."""

_RESTRICTIONS = frozenset({"first_purchase_only", "tier", "once_per_user"})


def normalize_code(code: str) -> str:
    """Return ``code`` in the form codes are compared in: trimmed and upper-cased."""
    return code.strip().upper()


def history_rejection(promo: PromoCode, shopper: Shopper) -> PromoRejection | None:
    """Return why the shopper's purchase history rules ``promo`` out, or None.

    Checked again when a payment is fulfilled: another checkout may have completed since.
    """
    restrictions = promo.user_restrictions
    if restrictions.get("first_purchase_only") and shopper.has_completed_purchase:
        return PromoRejection(
            RejectionReason.FIRST_PURCHASE_ONLY, "This code is for your first purchase only."
        )
    if restrictions.get("once_per_user") and normalize_code(promo.code) in shopper.used_promo_codes:
        return PromoRejection(RejectionReason.ALREADY_USED, "You have already used this code.")
    return None


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
    restrictions = promo.user_restrictions
    if not promo.is_active:
        return PromoRejection(RejectionReason.INACTIVE, "This code is no longer active.")
    if not has_started(promo.valid_from, now):
        return PromoRejection(RejectionReason.NOT_STARTED, "This code isn't valid yet.")
    if has_ended(promo.expires_at, now):
        return PromoRejection(RejectionReason.EXPIRED, "This code has expired.")
    if promo.max_uses is not None and promo.current_uses >= promo.max_uses:
        return PromoRejection(RejectionReason.USED_UP, "This code has reached its usage limit.")
    if restrictions.keys() - _RESTRICTIONS:
        # Fail closed: a condition we cannot check must not turn into a discount for everyone.
        return PromoRejection(
            RejectionReason.UNSUPPORTED_RESTRICTION,
            "This code has conditions we can't check here, so it can't be applied.",
        )
    history = history_rejection(promo, shopper)
    if history is not None:
        return history
    tier = restrictions.get("tier")
    tiers = (tier,) if isinstance(tier, str) else tuple(tier or ())
    if tiers and shopper.tier not in tiers:
        return PromoRejection(
            RejectionReason.TIER_REQUIRED, f"This code is for {' or '.join(tiers)} members."
        )
    if not lines:
        return PromoRejection(
            RejectionReason.EMPTY_CART, "Add something to your cart before using a code."
        )
    if not any(_applies_to(promo, line.add_on_id) for line in lines):
        return PromoRejection(
            RejectionReason.NOT_APPLICABLE, "This code doesn't apply to anything in your cart."
        )
    total = sum((line.recurring_total for line in lines), ZERO)
    minimum = promo.min_purchase_amount
    if minimum is not None and total < minimum:
        return PromoRejection(
            RejectionReason.BELOW_MINIMUM,
            f"Add {_dollars(minimum - total)} more to use this code (minimum {_dollars(minimum)}).",
        )
    return None


def promo_discounts(promo: PromoCode, lines: Sequence[LineQuote]) -> dict[UUID, Decimal]:
    """Return the discount ``promo`` gives each line it applies to, by add-on id.

    The discount is a percentage of, or a fixed amount capped at, the applicable lines' total
    after tier and bundle discounts, rounded half up and split in proportion to those lines.
    """
    amounts = {
        line.add_on_id: line.recurring_total for line in lines if _applies_to(promo, line.add_on_id)
    }
    applicable = sum(amounts.values(), ZERO)
    if promo.discount_type == "percentage":
        discount = round_money(applicable * promo.discount_value / 100)
    else:
        discount = min(round_money(promo.discount_value), applicable)
    return allocate(discount, amounts)


def _applies_to(promo: PromoCode, add_on_id: UUID) -> bool:
    return promo.applicable_to is None or add_on_id in promo.applicable_to


def _dollars(amount: Decimal) -> str:
    return f"${round_money(amount):,}"
