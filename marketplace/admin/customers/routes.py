"""Customer pages under `/admin/customers`: search and list, one page per user id (read-only)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from marketplace.admin.customers.forms import CustomerQuery
from marketplace.admin.customers.queries import customer_detail, customer_list
from marketplace.admin.forms import first_error
from marketplace.extensions import db
from marketplace.rendering import render

bp = Blueprint("customers", __name__, url_prefix="/customers")


@bp.get("/")
def index():
    """List customers by user id, searched by user id or e-mail prefix (partial for htmx)."""
    form = CustomerQuery(request.args)
    if not form.validate():
        abort(400, description=first_error(form))
    return render(
        "admin/customers/index.html",
        "admin/customers/_customers.html",
        form=form,
        results=customer_list(db.session(), form.query(), form.after.data or None),
        args=form.args(),
    )


@bp.get("/<user_id>")
def detail(user_id: str):
    """One customer: contact, orders, subscriptions and their history."""
    found = customer_detail(db.session(), user_id) if len(user_id) <= 255 else None
    if found is None:
        abort(404, description="The marketplace knows no customer with this user id.")
    return render_template("admin/customers/detail.html", detail=found)
