"""The audit page: `/admin/audit`, filtered by actor, action, object and dates, keyset-paged."""

from __future__ import annotations

from flask import Blueprint, request

from marketplace.admin.audit.forms import AuditQuery
from marketplace.admin.audit.queries import audit_page
from marketplace.admin.views import list_page
from marketplace.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
def index():
    """Show the audit log's newest entries matching the filters."""
    form = AuditQuery(request.args)
    return list_page(
        form,
        lambda cursor: audit_page(db.session(), form.filters(), cursor),
        page="admin/audit/index.html",
        partial="admin/audit/_entries.html",
        what="audit page",
    )
