"""Refresh the analytics rollups (materialized views of migration 017_analytics_rollups).

Every view is refreshed CONCURRENTLY (readers keep the previous contents meanwhile) in one
transaction, so the figures of one refresh belong together; its start is their "as of".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from time import perf_counter

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from marketplace.models import AnalyticsRefresh
from marketplace.models.base import utcnow

VIEWS = (
    "analytics_mrr_daily",
    "analytics_revenue_daily",
    "analytics_add_on_revenue_daily",
    "analytics_add_on_revenue_monthly",  # after the daily one: it sums it
    "analytics_promo_daily",
    "analytics_bundle_daily",
    "analytics_bundle_holders",
    "analytics_add_on_mrr",
    "analytics_funnel_daily",
)
MILLI = Decimal("0.001")
WORK_MEM = "256MB"


@dataclass(frozen=True)
class Refreshed:
    """A finished refresh: when it started and how long each view took (seconds)."""

    started_at: datetime
    seconds: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.seconds.values(), Decimal(0))


def refresh(
    session: Session,
    *,
    after_view: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> Refreshed:
    """Refresh every rollup and log the refresh (the caller commits)."""
    started = now or utcnow()
    session.flush()  # what this transaction wrote counts too
    # The rollups sort a few million rows; in memory, not in temporary files (this refresh's
    # transaction only).
    session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    seconds = {}
    for name in VIEWS:
        began = perf_counter()
        session.execute(text(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {name}"))
        # Autovacuum never analyzes a materialized view: the page's plans need its statistics.
        session.execute(text(f"ANALYZE {name}"))
        seconds[name] = Decimal(perf_counter() - began).quantize(MILLI)
        if after_view is not None:
            after_view(name)
    done = Refreshed(started, seconds)
    session.add(AnalyticsRefresh(started_at=started, seconds=done.total))
    return done


def as_of(session: Session) -> datetime | None:
    """When the rollups were last refreshed (None: never)."""
    return session.scalar(
        select(AnalyticsRefresh.started_at).order_by(AnalyticsRefresh.started_at.desc()).limit(1)
    )
