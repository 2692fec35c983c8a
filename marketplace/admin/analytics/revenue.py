"""Cash revenue from the `analytics_revenue_daily` rollup: completed charges minus refunds,
charges dated when paid and refunds when refunded (UTC days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.analytics.periods import Bucket, Range, buckets
from marketplace.pricing.money import ZERO


@dataclass(frozen=True)
class Cash:
    """Charged, refunded and net (charged − refunded) for one row of a revenue table."""

    label: str
    charged: Decimal
    refunded: Decimal
    charges: int = 0
    key: str = ""

    @property
    def net(self) -> Decimal:
        return self.charged - self.refunded


# The range and the period just before it in one scan: per row, whether it is the range's,
# and which grouping it is (GROUPING's bits: bucket 4, category 2, billing type 1 when not
# grouped by). Largest net first, then by name, for the shares. The days are summed per
# bucket first, so the four grouping sets each hash a few hundred rows, not 15k; the bucket
# is truncated as a timestamp, not a timestamptz, which converts every row through the time
# zone (two years' page: 28.7 → 10.2 ms).
_DAILY = text(
    """
    WITH d AS (
        SELECT day >= :start AS current, date_trunc(:bucket, day::timestamp)::date AS first,
               category, billing_type, sum(charged) AS charged, sum(refunded) AS refunded,
               sum(charges) AS charges
        FROM analytics_revenue_daily WHERE day BETWEEN :before AND :end GROUP BY 1, 2, 3, 4
    )
    SELECT current, GROUPING(first, category, billing_type), first, category, billing_type,
           sum(charged), sum(refunded), sum(charges)
    FROM d
    GROUP BY GROUPING SETS ((current), (current, first), (current, category),
                           (current, billing_type))
    ORDER BY sum(charged) - sum(refunded) DESC, category, billing_type
    """
)
_TOTAL, _BUCKET, _CATEGORY, _BILLING_TYPE = 7, 3, 5, 6
# Per add-on: the running totals at the range's end less those before its start (two rows of
# `analytics_add_on_revenue_running`, one array element per add-on), the top ones named.
_ADD_ONS = text(
    """
    WITH ends AS (
        SELECT (SELECT r FROM analytics_add_on_revenue_running r
                WHERE r.day <= :end ORDER BY r.day DESC LIMIT 1) AS e,
               (SELECT r FROM analytics_add_on_revenue_running r
                WHERE r.day < :start ORDER BY r.day DESC LIMIT 1) AS b
    ), cents AS (
        SELECT u.slot, coalesce(u.charged, 0) - coalesce(u.charged_before, 0) AS charged,
               coalesce(u.refunded, 0) - coalesce(u.refunded_before, 0) AS refunded
        FROM ends, unnest((e).charged, (e).refunded, (b).charged, (b).refunded)
                   WITH ORDINALITY AS u(charged, refunded, charged_before, refunded_before, slot)
    ), top AS (
        SELECT slot, charged, refunded FROM cents WHERE charged <> 0 OR refunded <> 0
        ORDER BY charged - refunded DESC, slot LIMIT :limit
    )
    SELECT a.name, a.id::text, (t.charged / 100.0)::numeric(14, 2),
           (t.refunded / 100.0)::numeric(14, 2)
    FROM top t JOIN analytics_add_on_slots s ON s.slot = t.slot
    JOIN add_ons a ON a.id = s.add_on_id
    ORDER BY t.charged - t.refunded DESC, t.slot
    """
)


@dataclass(frozen=True)
class Daily:
    """What the daily rollup gives a range: its total and the previous period's, its revenue
    per bucket (every bucket present, labelled by its first day), per category and per billing
    type (largest net first)."""

    total: Cash
    before: Cash
    series: list[Cash]
    by_category: list[Cash]
    by_billing_type: list[Cash]


def daily(session: Session, period: Range, bucket: Bucket) -> Daily:
    """The revenue of `period` split by `bucket`, by category and by billing type, and of the
    period before it, in one query."""
    totals = {True: Cash("Total", ZERO, ZERO), False: Cash("Total", ZERO, ZERO)}
    found: dict[date, tuple[Decimal, Decimal, int]] = {}
    shares: dict[int, list[Cash]] = {_CATEGORY: [], _BILLING_TYPE: []}
    params = {**_range(period), "before": period.previous().start, "bucket": bucket.value}
    rows = session.execute(_DAILY, params)
    for current, grouping, first, category, billing_type, charged, refunded, charges in rows:
        if grouping == _TOTAL:
            totals[current] = Cash("Total", charged, refunded, int(charges))
        elif not current:
            continue
        elif grouping == _BUCKET:
            found[first] = (charged, refunded, int(charges))
        else:
            name = category if grouping == _CATEGORY else billing_type
            shares[grouping].append(Cash(name, charged, refunded, int(charges), key=name))
    return Daily(
        total=totals[True],
        before=totals[False],
        series=[
            Cash(max(first, period.start).isoformat(), *found.get(first, (ZERO, ZERO, 0)))
            for first in buckets(period, bucket)
        ],
        by_category=shares[_CATEGORY],
        by_billing_type=shares[_BILLING_TYPE],
    )


def by_add_on(session: Session, period: Range, limit: int | None = None) -> list[Cash]:
    """Revenue of `period` per add-on, largest net first (the top `limit`)."""
    return [
        Cash(name, charged, refunded, key=row_key)
        for name, row_key, charged, refunded in session.execute(
            _ADD_ONS, {**_range(period), "limit": limit}
        )
    ]


def _range(period: Range) -> dict[str, date]:
    return {"start": period.start, "end": period.end}
