"""Tier pricing: choose the one rule that discounts a cart line."""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from .models import CartLine, TierRule
from .money import discounted_price
from .validity import is_live


def rule_discount(rule: TierRule, subtotal: Decimal) -> Decimal:
    """Return what ``rule`` takes off ``subtotal``: percent, then amount; at most all of it."""
    price = discounted_price(
        subtotal, percent=rule.discount_percent, amount_off=rule.discount_amount
    )
    return subtotal - price


def select_rule(
    line: CartLine,
    rules: Sequence[TierRule],
    *,
    tier: str | None,
    available: frozenset[UUID],
    now: datetime,
) -> TierRule | None:
    """Return the rule that prices ``line``, or None.

    A rule qualifies when it is for this add-on and this tier (or every tier), live at ``now``,
    and its conditions hold; ``available`` holds the add-ons in the cart or already owned.
    The highest priority wins, then the larger discount on this line, then the smaller id.
    """
    qualifying = [
        rule
        for rule in rules
        if rule.add_on_id == line.add_on_id
        and rule.tier_code in (None, tier)
        and is_live(rule, now)
        and _conditions_hold(rule.conditions, line, available)
    ]
    return min(
        qualifying,
        key=lambda rule: (-rule.priority, -rule_discount(rule, line.subtotal), rule.id),
        default=None,
    )


def _conditions_hold(
    conditions: Mapping[str, Any], line: CartLine, available: frozenset[UUID]
) -> bool:
    # An unknown or malformed condition fails closed: a rule must never discount more widely
    # than whoever wrote it intended.
    return all(
        key in _CONDITIONS and _CONDITIONS[key](value, line, available)
        for key, value in conditions.items()
    )


def _min_quantity_met(value: Any, line: CartLine, available: frozenset[UUID]) -> bool:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    return is_int and line.quantity >= value


def _required_add_ons_available(value: Any, line: CartLine, available: frozenset[UUID]) -> bool:
    if not isinstance(value, list | tuple):
        return False
    try:
        required = {UUID(str(add_on_id)) for add_on_id in value}
    except ValueError:
        return False
    return required <= available


_CONDITIONS: Mapping[str, Callable[[Any, CartLine, frozenset[UUID]], bool]] = {
    "min_quantity": _min_quantity_met,
    "requires_add_ons": _required_add_ons_available,
}

CONDITION_KEYS: tuple[str, ...] = tuple(sorted(_CONDITIONS))
"""The condition keys the engine understands; a rule with any other never applies. The admin
form refuses others with this list."""


def condition_problems(conditions: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``conditions`` for the engine: unknown keys (naming the known ones)
    and values of the wrong shape. Empty when every condition can hold."""
    unknown = sorted(set(conditions) - set(_CONDITIONS))
    problems = []
    if unknown:
        problems.append(
            f"Unknown condition {', '.join(unknown)}: the known ones are "
            f"{', '.join(CONDITION_KEYS)}."
        )
    quantity = conditions.get("min_quantity", 1)
    if not (isinstance(quantity, int) and not isinstance(quantity, bool) and quantity >= 1):
        problems.append("min_quantity must be a whole number, 1 or more.")
    required = conditions.get("requires_add_ons", [])
    if not isinstance(required, list | tuple) or not all(_is_uuid(v) for v in required):
        problems.append("requires_add_ons must be a list of add-on ids.")
    return problems


def _is_uuid(value: Any) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True
