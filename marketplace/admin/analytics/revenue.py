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


_TOTAL = text(
    "SELECT coalesce(sum(charged), 0.00), coalesce(sum(refunded), 0.00), coalesce(sum(charges), 0) "
    "FROM analytics_revenue_daily WHERE day BETWEEN :start AND :end"
)
_SERIES = text(
    "SELECT date_trunc(:bucket, day)::date, sum(charged), sum(refunded), sum(charges) "
    "FROM analytics_revenue_daily WHERE day BETWEEN :start AND :end GROUP BY 1"
)
# Per category or billing type: the small daily rollup.
_SHARES = """
    SELECT {column}, {column}, sum(charged), sum(refunded), sum(charges)
    FROM analytics_revenue_daily WHERE day BETWEEN :start AND :end
    GROUP BY 1 ORDER BY sum(charged) - sum(refunded) DESC, 1 LIMIT :limit
"""
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
# The small rollup's columns a share is taken by (never user input: a fixed choice).
_SHARE_COLUMNS = {"category": "category", "billing_type": "billing_type"}


def total(session: Session, period: Range) -> Cash:
    """The revenue of `period`."""
    charged, refunded, charges = session.execute(_TOTAL, _range(period)).one()
    return Cash("Total", Decimal(charged), Decimal(refunded), int(charges))


def series(session: Session, period: Range, bucket: Bucket) -> list[Cash]:
    """Revenue per bucket of `period`, every bucket present (labelled by its first day)."""
    found = {
        first: (charged, refunded, int(charges))
        for first, charged, refunded, charges in session.execute(
            _SERIES, {**_range(period), "bucket": bucket.value}
        )
    }
    return [
        Cash(max(first, period.start).isoformat(), *found.get(first, (ZERO, ZERO, 0)))
        for first in buckets(period, bucket)
    ]


def by(session: Session, period: Range, group: str, limit: int | None = None) -> list[Cash]:
    """Revenue of `period` per add-on, category or billing type (`group`), largest net first."""
    params = {**_range(period), "limit": limit}
    if group == "add_on":
        return [
            Cash(name, charged, refunded, key=row_key)
            for name, row_key, charged, refunded in session.execute(_ADD_ONS, params)
        ]
    query = text(_SHARES.format(column=_SHARE_COLUMNS[group]))
    return [
        Cash(name, charged, refunded, int(charges), key=row_key)
        for name, row_key, charged, refunded, charges in session.execute(query, params)
    ]


def _range(period: Range) -> dict[str, date]:
    return {"start": period.start, "end": period.end}
