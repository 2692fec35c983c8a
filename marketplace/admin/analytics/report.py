"""Everything the analytics page shows for a range, read in one place: the page, its JSON and
its CSV downloads all come from `build` and `tables`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.admin.analytics import funnel, mrr, performance, revenue
from marketplace.admin.analytics.funnel import FunnelDay
from marketplace.admin.analytics.mrr import MrrPoint
from marketplace.admin.analytics.performance import AddOnRow, BundleRow, Expiring, PromoRow
from marketplace.admin.analytics.revenue import Cash
from marketplace.analytics import Churn, Movement, Movements, churn
from marketplace.analytics.definitions import arpu
from marketplace.analytics.periods import Bucket, Range
from marketplace.maintenance.analytics import as_of

CHURN_DAYS = 30


@dataclass(frozen=True)
class Kpi:
    """A tile: the figure for the range and for the period before it."""

    key: str
    label: str
    value: Decimal | int
    previous: Decimal | int
    unit: str  # "money", "count" or "ratio" (a fraction shown as a percentage)

    @property
    def change(self) -> Decimal | int:
        return self.value - self.previous


@dataclass(frozen=True)
class Report:
    period: Range
    bucket: Bucket
    as_of: datetime | None
    kpis: list[Kpi]
    mrr: list[MrrPoint]
    revenue: list[Cash]
    by_add_on: list[Cash]
    by_category: list[Cash]
    by_billing_type: list[Cash]
    funnel: list[FunnelDay]
    promos: list[PromoRow]
    bundles: list[BundleRow]
    top_mrr: list[AddOnRow]
    top_subscribers: list[AddOnRow]
    expiring: Expiring
    churn: Churn


def build(session: Session, period: Range, bucket: Bucket, now: datetime) -> Report:
    """The figures of `period` (charts split by `bucket`) against the period before it."""
    # Every query here reads a few hundred rows: starting parallel workers costs more (about
    # 10 ms each time) than it saves (this transaction only).
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    movements = mrr.MrrDays.read(session)
    current = movements.window(period)
    days = funnel.series(session, period, bucket)
    cash = revenue.daily(session, period, bucket)
    month = period.last_days(CHURN_DAYS)
    churned = churn(movements.window(month))
    return Report(
        period=period,
        bucket=bucket,
        as_of=as_of(session),
        kpis=_kpis(session, period, movements, churned, days, cash),
        mrr=movements.series(period, bucket),
        revenue=cash.series,
        by_add_on=revenue.by_add_on(session, period, limit=10),
        by_category=cash.by_category,
        by_billing_type=cash.by_billing_type,
        funnel=days,
        promos=performance.promos(session, period),
        bundles=performance.bundles(session, period, current.end_subscribers),
        top_mrr=performance.add_ons(session, "mrr"),
        top_subscribers=performance.add_ons(session, "subscribers"),
        expiring=performance.expiring(session, now),
        churn=churned,
    )


def _kpis(
    session: Session,
    period: Range,
    movements: mrr.MrrDays,
    churned: Churn,
    days: list[FunnelDay],
    cash: revenue.Daily,
) -> list[Kpi]:
    """The tiles; "before" is the period of the same length just before (churn: the 30 days
    before the last 30)."""
    current = movements.window(period)
    before = movements.window(period.previous())
    churned_before = churn(movements.window(period.last_days(CHURN_DAYS).previous()))
    converted = funnel.overall(days, period.start)
    [converted_before] = funnel.series(session, period.previous(), None)
    return [
        Kpi("mrr", "MRR", current.end, current.start, "money"),
        Kpi("arr", "ARR", current.end * 12, current.start * 12, "money"),
        Kpi(
            "subscribers",
            "Active subscribers",
            current.end_subscribers,
            current.start_subscribers,
            "count",
        ),
        Kpi(
            "arpu",
            "ARPU",
            arpu(current.end, current.end_subscribers),
            arpu(current.start, current.start_subscribers),
            "money",
        ),
        Kpi("revenue", "Net revenue", cash.total.net, cash.before.net, "money"),
        Kpi("new_subscribers", "New subscribers", _joined(current), _joined(before), "count"),
        Kpi("churn_rate", "Churn rate (30 days)", churned.rate, churned_before.rate, "ratio"),
        Kpi(
            "revenue_churn",
            "Revenue churn (30 days)",
            churned.revenue,
            churned_before.revenue,
            "ratio",
        ),
        Kpi(
            "conversion",
            "Cart → paid",
            converted.conversion,
            converted_before.conversion,
            "ratio",
        ),
    ]


def _joined(window: Movements) -> int:
    """Users whose MRR went from 0 to more: new and reactivated."""
    return window.users[Movement.NEW] + window.users[Movement.REACTIVATION]
