"""The analytics page's tables: one definition each, shown beside its chart, downloaded as CSV
and included in the JSON — so the three never disagree."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from marketplace.admin.analytics.report import Report
from marketplace.analytics import Movement
from marketplace.vocabulary import FunnelStep

# How a column's values read on the page: money, count, percent (a number), date, text.
Cell = Decimal | int | str | date | datetime | None


@dataclass(frozen=True)
class Column:
    label: str
    unit: str = "text"


@dataclass(frozen=True)
class Table:
    """A titled table; `chart` names how analytics-charts.js draws it (None: not charted)."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]]
    chart: str | None = None


MOVEMENTS = (
    Movement.NEW,
    Movement.REACTIVATION,
    Movement.EXPANSION,
    Movement.CONTRACTION,
    Movement.CHURNED,
)
MONEY = "money"


def _cash_table(key: str, title: str, label: str, rows: Sequence[Any], chart: str | None) -> Table:
    return Table(
        key,
        title,
        (Column(label), Column("Charged", MONEY), Column("Refunded", MONEY), Column("Net", MONEY)),
        [(row.label, row.charged, row.refunded, row.net) for row in rows],
        chart,
    )


def _mrr(report: Report) -> Table:
    return Table(
        "mrr",
        "MRR movements",
        (
            Column("Period from", "date"),
            Column("MRR at start", MONEY),
            *(Column(kind.value.title(), MONEY) for kind in MOVEMENTS),
            Column("MRR at end", MONEY),
        ),
        [
            (
                point.start,
                point.movements.start,
                *(point.movements.amounts[kind] for kind in MOVEMENTS),
                point.movements.end,
            )
            for point in report.mrr
        ],
        "mrr",
    )


def _funnel(report: Report) -> Table:
    return Table(
        "funnel",
        "Funnel",
        (
            Column("Period from", "date"),
            *(Column(step.label, "count") for step in FunnelStep),
            Column("Drop-off to checkout", "percent"),
            Column("Drop-off to paid", "percent"),
        ),
        [
            (day.day, *(day.visitors[step] for step in FunnelStep), *day.drop_offs)
            for day in report.funnel
        ],
        "funnel",
    )


def _promos(report: Report) -> Table:
    return Table(
        "promo-codes",
        "Promo codes",
        (
            Column("Code"),
            Column("Checkouts", "count"),
            Column("Paid uses", "count"),
            Column("Reserved now", "count"),
            Column("Discount given", MONEY),
            Column("Revenue", MONEY),
            Column("First purchases", "percent"),
        ),
        [
            (p.code, p.checkouts, p.paid, p.reserved, p.discount, p.revenue, p.first_purchase_share)
            for p in report.promos
        ],
    )


def _bundles(report: Report) -> Table:
    return Table(
        "bundles",
        "Bundles",
        (
            Column("Bundle"),
            Column("Orders", "count"),
            Column("Savings given", MONEY),
            Column("Revenue", MONEY),
            Column("Subscribers holding all", "percent"),
        ),
        [(b.name, b.orders, b.savings, b.revenue, b.holder_share) for b in report.bundles],
    )


def _add_ons(key: str, title: str, rows: Sequence[Any]) -> Table:
    return Table(
        key,
        title,
        (Column("Add-on"), Column("MRR", MONEY), Column("Subscribers", "count")),
        [(row.name, row.mrr, row.subscribers) for row in rows],
    )


def _expiring(report: Report) -> Table:
    return Table(
        "expiring",
        "Expiring in 30 days, renewal off (soonest)",
        (Column("User"), Column("Add-on"), Column("Expires", "date")),
        list(report.expiring.soonest),
    )


BUILDERS: tuple[Callable[[Report], Table], ...] = (
    _mrr,
    lambda r: _cash_table("revenue", "Revenue", "Period from", r.revenue, "revenue"),
    lambda r: _cash_table(
        "revenue-by-add-on", "Revenue by add-on (top 10)", "Add-on", r.by_add_on, "add-ons"
    ),
    lambda r: _cash_table(
        "revenue-by-category", "Revenue by category", "Category", r.by_category, None
    ),
    lambda r: _cash_table(
        "revenue-by-billing-type",
        "Revenue by billing type",
        "Billing type",
        r.by_billing_type,
        None,
    ),
    _funnel,
    _promos,
    _bundles,
    lambda r: _add_ons("top-mrr", "Top add-ons by MRR", r.top_mrr),
    lambda r: _add_ons("top-subscribers", "Add-ons by subscribers", r.top_subscribers),
    _expiring,
)


def tables(report: Report) -> dict[str, Table]:
    """Every table of the page, by key (the CSV file names)."""
    built = [build(report) for build in BUILDERS]
    return {table.key: table for table in built}


def plain(value: Cell) -> str | int | None:
    """A cell for CSV and JSON: money and dates as exact strings, counts as numbers."""
    if isinstance(value, Decimal | date):
        return value.isoformat() if isinstance(value, date) else str(value)
    return value


def report_json(report: Report) -> dict[str, Any]:
    """The report as `/admin/analytics.json` and the API's analytics summary send it: the
    tiles with their previous values, and every table."""
    period, previous = report.period, report.period.previous()
    return {
        "range": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "previous": {"start": previous.start.isoformat(), "end": previous.end.isoformat()},
        "bucket": report.bucket.value,
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "currency": "USD",
        "kpis": {
            kpi.key: {
                "label": kpi.label,
                "value": plain(kpi.value),
                "previous": plain(kpi.previous),
            }
            for kpi in report.kpis
        },
        "expiring": {"count": report.expiring.count, "mrr": str(report.expiring.mrr)},
        "tables": {
            key: {
                "title": table.title,
                "columns": [column.label for column in table.columns],
                "rows": [[plain(cell) for cell in row] for row in table.rows],
            }
            for key, table in tables(report).items()
        },
    }
