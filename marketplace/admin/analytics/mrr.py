"""MRR figures from the `analytics_mrr_daily` rollup: windows of movements, and the series.

The rollup holds, per UTC day and movement, the users moved and the amount; MRR on a day is
the sum of every amount up to it, so each figure here reconciles with the history it rolls up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.analytics import Movement, Movements
from marketplace.analytics.periods import Bucket, Range, buckets
from marketplace.pricing.money import ZERO

# Users a movement adds to the subscribers (MRR > 0), or takes away.
_JOINS = "CASE movement WHEN 'new' THEN users WHEN 'reactivation' THEN users " + (
    "WHEN 'churned' THEN -users ELSE 0 END"
)
_OPENING = text(
    f"SELECT coalesce(sum(amount), 0.00), coalesce(sum({_JOINS}), 0) "
    "FROM analytics_mrr_daily WHERE day < :start"
)
_MOVED = text(
    "SELECT date_trunc(:bucket, day)::date, movement, sum(amount), sum(users) "
    "FROM analytics_mrr_daily WHERE day BETWEEN :start AND :end GROUP BY 1, 2"
)


def _opening(session: Session, start: date) -> tuple[Decimal, int]:
    amount, subscribers = session.execute(_OPENING, {"start": start}).one()
    return Decimal(amount), int(subscribers)


def window(session: Session, period: Range) -> Movements:
    """The movements of `period`, with MRR and subscribers at its start and end."""
    (point,) = series(session, period, None)
    return point.movements


@dataclass(frozen=True)
class MrrPoint:
    """One bucket of the MRR chart: its first day and its movements."""

    start: date
    movements: Movements


def series(session: Session, period: Range, bucket: Bucket | None) -> list[MrrPoint]:
    """MRR movements per bucket of `period` (None: the whole period as one)."""
    mrr, subscribers = _opening(session, period.start)
    unit = (bucket or Bucket.DAY).value
    moved: dict[date, dict[str, tuple[Decimal, int]]] = {}
    for first, movement, amount, users in session.execute(
        _MOVED, {"bucket": unit, "start": period.start, "end": period.end}
    ):
        key = first if bucket else period.start
        before = moved.setdefault(key, {}).get(movement, (ZERO, 0))
        moved[key][movement] = (before[0] + amount, before[1] + int(users))
    points = []
    for first in buckets(period, bucket) if bucket else [period.start]:
        found = moved.get(first, {})
        amounts = {kind: found.get(kind, (ZERO, 0))[0] for kind in Movement}
        users = {kind: found.get(kind, (ZERO, 0))[1] for kind in Movement}
        end_mrr = mrr + sum(amounts.values(), ZERO)
        end_subscribers = (
            subscribers
            + users[Movement.NEW]
            + users[Movement.REACTIVATION]
            - users[Movement.CHURNED]
        )
        points.append(
            MrrPoint(
                max(first, period.start),
                Movements(mrr, end_mrr, amounts, users, subscribers, end_subscribers),
            )
        )
        mrr, subscribers = end_mrr, end_subscribers
    return points
