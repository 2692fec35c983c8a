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
_GROUPS = {
    "add_on": (
        "a.name", "r.add_on_id::text",
        "analytics_revenue_daily r JOIN add_ons a ON a.id = r.add_on_id",
    ),
    "category": ("a.category", "a.category",
                 "analytics_revenue_daily r JOIN add_ons a ON a.id = r.add_on_id"),
    "billing_type": ("r.billing_type", "r.billing_type", "analytics_revenue_daily r"),
}  # fmt: skip


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
    label, key, source = _GROUPS[group]
    query = text(
        f"SELECT {label}, {key}, sum(r.charged), sum(r.refunded), sum(r.charges) FROM {source} "
        "WHERE r.day BETWEEN :start AND :end GROUP BY 1, 2 "
        "ORDER BY sum(r.charged) - sum(r.refunded) DESC, 1, 2 LIMIT :limit"
    )
    return [
        Cash(name, charged, refunded, int(charges), key=row_key)
        for name, row_key, charged, refunded, charges in session.execute(
            query, {**_range(period), "limit": limit}
        )
    ]


def _range(period: Range) -> dict[str, date]:
    return {"start": period.start, "end": period.end}
