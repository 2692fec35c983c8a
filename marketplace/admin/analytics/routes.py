"""The analytics page at `/admin/analytics`, its JSON twin and a CSV download per table."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, jsonify, request

from marketplace.admin.analytics.forms import AnalyticsQuery
from marketplace.admin.analytics.report import Report, build
from marketplace.admin.analytics.tables import Table, plain, report_json, tables
from marketplace.admin.exports.csv_copy import FORMULA_STARTS
from marketplace.admin.forms import first_error
from marketplace.extensions import db
from marketplace.models.base import utcnow
from marketplace.rendering import render

# No url_prefix: the JSON lives at /admin/analytics.json, beside the page.
bp = Blueprint("analytics", __name__)


def _report() -> tuple[AnalyticsQuery, Report]:
    """The report for the range in the query string; 400 with the reason for a bad one."""
    form = AnalyticsQuery(request.args)
    if not form.validate():
        abort(400, description=first_error(form))
    now = utcnow()
    period = form.period(now.date())
    return form, build(db.session(), period, form.bucket(period), now)


@bp.get("/analytics")
def index():
    """The analytics page for a range (the report partial for htmx)."""
    form, report = _report()
    return render(
        "admin/analytics/index.html",
        "admin/analytics/_report.html",
        form=form,
        report=report,
        tables=tables(report),
        args=form.args(),
    )


@bp.get("/analytics.json")
def as_json():
    """The same figures as JSON: tiles with their previous values, and every table."""
    _, report = _report()
    return jsonify(report_json(report))


@bp.get("/analytics/<key>.csv")
def download(key: str):
    """One table of the page as CSV, for the same range."""
    _, report = _report()
    table = tables(report).get(key)
    if table is None:
        abort(404, description="There is no analytics table by that name.")
    period = report.period
    response = Response(_csv(table), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="analytics-{key}-{period.start}-{period.end}.csv"'
    )
    return response


def _csv(table: Table) -> str:
    """The table as CSV: exact amounts, ISO dates; text that would run as a formula gets a `'`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.label for column in table.columns])
    for row in table.rows:
        writer.writerow(
            [
                f"'{cell}"
                if column.unit == "text" and str(cell).startswith(FORMULA_STARTS)
                else plain(cell)
                for column, cell in zip(table.columns, row, strict=True)
            ]
        )
    return out.getvalue()
