"""The purchase funnel per day from the `analytics_funnel_daily` rollup, with drop-off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.analytics.periods import Range
from marketplace.vocabulary import FunnelStep

PERCENT = Decimal("0.1")


def drop_off(before: int, after: int) -> Decimal | None:
    """The share (percent, 1 decimal) of `before` that did not reach the next step."""
    if not before:
        return None
    return (Decimal(100) * (before - min(after, before)) / before).quantize(PERCENT)


@dataclass(frozen=True)
class FunnelDay:
    """Distinct visitors reaching each step on one day (or over a range: `day` its start)."""

    day: date
    visitors: dict[FunnelStep, int]

    @property
    def conversion(self) -> Decimal:
        """Paid ÷ added to cart, as a fraction (4 decimals; 0 without carts)."""
        carts, paid = self.visitors[FunnelStep.CART], self.visitors[FunnelStep.PAID]
        return (Decimal(paid) / carts).quantize(Decimal("0.0001")) if carts else Decimal("0.0000")

    @property
    def drop_offs(self) -> list[Decimal | None]:
        """Drop-off from each step to the next: cart → checkout, checkout → paid."""
        return [drop_off(self.visitors[a], self.visitors[b]) for a, b in pairwise(FunnelStep)]


_DAYS = text(
    "SELECT day, step, visitors FROM analytics_funnel_daily WHERE day BETWEEN :start AND :end"
)


def days(session: Session, period: Range) -> list[FunnelDay]:
    """The funnel for every day of `period`."""
    found: dict[date, dict[FunnelStep, int]] = {}
    for day, step, visitors in session.execute(_DAYS, {"start": period.start, "end": period.end}):
        found.setdefault(day, {})[FunnelStep(step)] = visitors
    return [
        FunnelDay(day, {step: found.get(day, {}).get(step, 0) for step in FunnelStep})
        for day in (period.start + timedelta(days=n) for n in range(period.days))
    ]


def overall(rows: list[FunnelDay], start: date) -> FunnelDay:
    """The range's funnel: the days' visitors added up (a visitor on two days counts twice)."""
    return FunnelDay(start, {step: sum(row.visitors[step] for row in rows) for step in FunnelStep})
