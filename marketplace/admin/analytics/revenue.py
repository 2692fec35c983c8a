"""Cash revenue from the `analytics_revenue_daily` rollup: completed charges minus refunds,
charges dated when paid and refunds when refunded (UTC days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.analytics.periods import Bucket, Range, buckets, whole_months
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
# Per add-on: the range's whole months from the monthly rollup, its other days from the daily.
_ADD_ONS = text(
    """
    WITH cash AS (
        SELECT add_on_id, charged, refunded, charges FROM analytics_add_on_revenue_monthly
        WHERE month >= :months_from AND month < :months_until
        UNION ALL
        SELECT add_on_id, charged, refunded, charges FROM analytics_add_on_revenue_daily
        WHERE day BETWEEN :start AND :end AND NOT (day >= :months_from AND day < :months_until)
    ), totals AS (
        -- The top ones first, then their names (not a name lookup for every add-on sold).
        SELECT add_on_id, sum(charged) AS charged, sum(refunded) AS refunded,
               sum(charges) AS charges
        FROM cash GROUP BY add_on_id
        ORDER BY sum(charged) - sum(refunded) DESC, add_on_id LIMIT :limit
    )
    SELECT a.name, a.id::text, t.charged, t.refunded, t.charges
    FROM totals t JOIN add_ons a ON a.id = t.add_on_id
    ORDER BY t.charged - t.refunded DESC, t.add_on_id
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
    if group == "add_on":
        months_from, months_until = whole_months(period)
        query = _ADD_ONS
        params = {"months_from": months_from, "months_until": months_until}
    else:
        query = text(_SHARES.format(column=_SHARE_COLUMNS[group]))
        params = {}
    return [
        Cash(name, charged, refunded, int(charges), key=row_key)
        for name, row_key, charged, refunded, charges in session.execute(
            query, {**_range(period), **params, "limit": limit}
        )
    ]


def _range(period: Range) -> dict[str, date]:
    return {"start": period.start, "end": period.end}
