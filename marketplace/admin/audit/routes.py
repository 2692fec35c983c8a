"""The audit page: `/admin/audit`, filtered by actor, action, object and dates, keyset-paged."""

from __future__ import annotations

from flask import Blueprint, abort, request

from marketplace.admin.audit.forms import AuditQuery
from marketplace.admin.audit.queries import audit_page
from marketplace.admin.forms import first_error
from marketplace.extensions import db
from marketplace.rendering import render

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
def index():
    """Show the audit log's newest entries matching the filters."""
    form = AuditQuery(request.args)
    if not form.validate():
        abort(400, description=first_error(form))
    try:
        page = audit_page(db.session(), form.filters(), form.cursor())
    except ValueError:
        abort(400, description="Page: this link is not one the audit page made.")
    return render(
        "admin/audit/index.html",
        "admin/audit/_entries.html",
        form=form,
        results=page,
        args=form.args(),
    )
