"""MRR figures from the `analytics_mrr_daily` rollup: windows of movements, and the series.

The rollup holds, per UTC day and movement, the users moved and the amount; MRR on a day is
the sum of every amount up to it, so each figure here reconciles with the history it rolls up.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.analytics import Movement, Movements
from marketplace.analytics.periods import Bucket, Range, bucket_start, buckets
from marketplace.pricing.money import ZERO

# Every day's movements, in day order: 4 rows a day at most, a few thousand in two years.
_DAYS = text("SELECT day, movement, amount, users FROM analytics_mrr_daily ORDER BY day, movement")


@dataclass(frozen=True)
class MrrPoint:
    """One bucket of the MRR chart: its first day and its movements."""

    start: date
    movements: Movements


@dataclass(frozen=True)
class MrrDays:
    """The rollup's rows, read once for every window and series a report shows (it asks five:
    a query each for the opening and the movements cost about 30 ms on the demo set)."""

    rows: list[tuple[date, str, Decimal, int]]
    days: list[date] = field(init=False)  # each row's, to find a range's rows by bisection
    # MRR and subscribers before each row (and after the last): a range's opening at once.
    openings: list[tuple[Decimal, int]] = field(init=False)

    def __post_init__(self) -> None:
        mrr, subscribers = ZERO, 0
        openings = [(mrr, subscribers)]
        for _, movement, amount, count in self.rows:
            mrr, subscribers = mrr + amount, subscribers + _joined(movement, count)
            openings.append((mrr, subscribers))
        object.__setattr__(self, "days", [row[0] for row in self.rows])
        object.__setattr__(self, "openings", openings)

    @classmethod
    def read(cls, session: Session) -> MrrDays:
        return cls([tuple(row) for row in session.execute(_DAYS)])

    def window(self, period: Range) -> Movements:
        """The movements of `period`, with MRR and subscribers at its start and end."""
        (point,) = self.series(period, None)
        return point.movements

    def series(self, period: Range, bucket: Bucket | None) -> list[MrrPoint]:
        """MRR movements per bucket of `period` (None: the whole period as one)."""
        first_row = bisect_left(self.days, period.start)
        mrr, subscribers = self.openings[first_row]
        moved: dict[date, dict[str, tuple[Decimal, int]]] = {}
        for day, movement, amount, count in self.rows[
            first_row : bisect_right(self.days, period.end)
        ]:
            key = bucket_start(day, bucket) if bucket else period.start
            before = moved.setdefault(key, {}).get(movement, (ZERO, 0))
            moved[key][movement] = (before[0] + amount, before[1] + count)
        points = []
        for first in buckets(period, bucket) if bucket else [period.start]:
            found = moved.get(first, {})
            amounts = {kind: found.get(kind, (ZERO, 0))[0] for kind in Movement}
            users = {kind: found.get(kind, (ZERO, 0))[1] for kind in Movement}
            end_mrr = mrr + sum(amounts.values(), ZERO)
            end_subscribers = subscribers + sum(_joined(kind, n) for kind, n in users.items())
            points.append(
                MrrPoint(
                    max(first, period.start),
                    Movements(mrr, end_mrr, amounts, users, subscribers, end_subscribers),
                )
            )
            mrr, subscribers = end_mrr, end_subscribers
        return points


def _joined(movement: str, users: int) -> int:
    """Users a movement adds to the subscribers (MRR > 0), or takes away."""
    if movement in (Movement.NEW, Movement.REACTIVATION):
        return users
    return -users if movement == Movement.CHURNED else 0


def window(session: Session, period: Range) -> Movements:
    """The movements of `period`, with MRR and subscribers at its start and end."""
    return MrrDays.read(session).window(period)
