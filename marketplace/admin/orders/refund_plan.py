"""How a refund an admin asks for splits over an order's lines: pure, no Flask, no database.

A refund is of one line or of the whole order, for an amount or for everything left. A whole
order's amount is spread in proportion to what each line has left (largest remainder, so the
shares add up to the cent); no line ever gets back more than it has left.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal

from marketplace.pricing.money import ZERO, allocate, format_money


class NotRefundable(ValueError):
    """A refund that cannot be made as asked; the message says why and what is possible."""


def plan_refund(
    left: Mapping[uuid.UUID, Decimal],
    line: uuid.UUID | None,
    amount: Decimal | None,
    currency: str = "USD",
) -> dict[uuid.UUID, Decimal]:
    """What each line gets back when `amount` (None: all that is left) of `line` (None: the
    whole order) is refunded, given what each refundable line has `left`; lines getting nothing
    are left out. Raises `NotRefundable`."""
    if line is not None and line not in left:
        raise NotRefundable("This line was never paid, so there is nothing to refund on it.")
    scope = {key: value for key, value in left.items() if value > 0 and line in (None, key)}
    available = sum(scope.values(), ZERO)
    what = "this line" if line is not None else "this order"
    if available == 0:
        raise NotRefundable(f"Nothing is left to refund on {what}: it was refunded in full.")
    wanted = available if amount is None else amount
    if wanted <= 0 or wanted != wanted.quantize(Decimal("0.01")):
        raise NotRefundable("Enter an amount in whole cents, at least 0.01.")
    if wanted > available:
        raise NotRefundable(
            f"At most {format_money(available, currency)} is left to refund on {what}; "
            f"{format_money(wanted, currency)} is more than that."
        )
    shares = allocate(wanted, scope)
    return {key: share for key, share in shares.items() if share > 0}
