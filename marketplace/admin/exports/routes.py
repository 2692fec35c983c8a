"""Export pages under `/admin/exports`: the exports this user may take, each a CSV download
streamed in constant memory. Each download is a sub-blueprint (`admin.exports.<name>`), so
`areas.py` gives it the roles of the area whose records it holds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from sqlalchemy import Select

from marketplace.admin.access import current_actor
from marketplace.admin.areas import Area, parts_for
from marketplace.admin.exports import forms, queries
from marketplace.admin.exports.csv_copy import copy_csv
from marketplace.admin.exports.service import record_export
from marketplace.admin.forms import first_error
from marketplace.current import current_shopper
from marketplace.extensions import db


@dataclass(frozen=True)
class Export:
    """One CSV: its filter form and its query."""

    form: type[forms.ExportQuery]
    query: Callable[[queries.ExportFilters], Select[Any]]


EXPORTS = {
    "purchases": Export(forms.PurchaseExportQuery, queries.purchases),
    "subscriptions": Export(forms.SubscriptionExportQuery, queries.subscriptions),
    "customers": Export(forms.CustomerExportQuery, queries.customers),
    "promo_redemptions": Export(forms.PromoExportQuery, queries.promo_redemptions),
}
bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.get("/")
def index():
    """List the exports this user may take, each with its filters and a download button."""
    parts: list[tuple[Area, forms.ExportQuery]] = [
        (area, EXPORTS[area.key.partition(".")[2]].form(formdata=None))
        for area in parts_for(current_shopper().role, "exports")
    ]
    return render_template("admin/exports/index.html", parts=parts)


def download(name: str) -> Response:
    """Stream export `name` as CSV with the request's filters; audited before it starts."""
    export = EXPORTS[name]
    form = export.form(request.args)
    if not form.validate():
        abort(400, description=first_error(form))
    body: Iterator[bytes] = iter(())
    if request.method != "HEAD":  # a HEAD asks for the headers: no export, no audit row
        session = db.session()
        record_export(session, current_actor(), name, form.args())
        # The COPY starts when the server reads the body: an unread response holds nothing.
        body = copy_csv(session, export.query(form.filters()))
    response = Response(stream_with_context(body), mimetype="text/csv")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    filename = f"{name.replace('_', '-')}-{stamp}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Accel-Buffering"] = "no"  # a proxy passes the rows on as they come
    return response


def _download_blueprint(name: str) -> Blueprint:
    child = Blueprint(name, __name__)
    child.add_url_rule(
        f"/{name.replace('_', '-')}.csv", "download", lambda: download(name), methods=["GET"]
    )
    return child


for _name in EXPORTS:
    bp.register_blueprint(_download_blueprint(_name))
