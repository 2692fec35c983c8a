"""The purchase funnel per day, week or month from the `analytics_funnel_daily` rollup, with
drop-off. A bucket adds up its days' distinct visitors (a visitor on two days counts twice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise

from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.analytics.periods import Bucket, Range, buckets
from marketplace.vocabulary import FunnelStep

PERCENT = Decimal("0.1")


def drop_off(before: int, after: int) -> Decimal | None:
    """The share (percent, 1 decimal) of `before` that did not reach the next step."""
    if not before:
        return None
    return (Decimal(100) * (before - min(after, before)) / before).quantize(PERCENT)


@dataclass(frozen=True)
class FunnelDay:
    """Visitors reaching each step in one bucket (or over a range): `day` its first day."""

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


# Truncated as a timestamp: a timestamptz would convert every row through the time zone.
_SERIES = text(
    "SELECT date_trunc(:bucket, day::timestamp)::date, step, sum(visitors) "
    "FROM analytics_funnel_daily WHERE day BETWEEN :start AND :end GROUP BY 1, 2"
)


def series(session: Session, period: Range, bucket: Bucket | None) -> list[FunnelDay]:
    """The funnel for every bucket of `period`, every bucket present (None: the whole period
    as one row)."""
    found: dict[date, dict[FunnelStep, int]] = {}
    params = {"bucket": (bucket or Bucket.DAY).value, "start": period.start, "end": period.end}
    for first, step, visitors in session.execute(_SERIES, params):
        counts = found.setdefault(first if bucket else period.start, {})
        counts[FunnelStep(step)] = counts.get(FunnelStep(step), 0) + int(visitors)
    return [
        FunnelDay(
            max(first, period.start),
            {step: found.get(first, {}).get(step, 0) for step in FunnelStep},
        )
        for first in (buckets(period, bucket) if bucket else [period.start])
    ]


def overall(rows: list[FunnelDay], start: date) -> FunnelDay:
    """The range's funnel: the buckets' visitors added up."""
    return FunnelDay(start, {step: sum(row.visitors[step] for row in rows) for step in FunnelStep})
