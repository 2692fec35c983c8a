"""Order pages under `/admin/orders`: the filtered list and one order's page (read-only)."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, render_template, request

from marketplace.admin.forms import first_error
from marketplace.admin.orders.forms import OrderQuery
from marketplace.admin.orders.queries import order_detail, order_list
from marketplace.extensions import db
from marketplace.rendering import render

bp = Blueprint("orders", __name__, url_prefix="/orders")


@bp.get("/")
def index():
    """List orders, newest first: filters and keyset pages (the partial for htmx)."""
    form = OrderQuery(request.args)
    if not form.validate():
        abort(400, description=first_error(form))
    try:
        cursor = form.cursor()
    except ValueError:
        abort(400, description="Page: this link is not one the order list made.")
    return render(
        "admin/orders/index.html",
        "admin/orders/_orders.html",
        form=form,
        results=order_list(db.session(), form.filters(), cursor),
        args=form.args(),
    )


@bp.get("/<uuid:order_id>")
def detail(order_id: uuid.UUID):
    """One order: lines, discounts, refunds, totals, payment and its history (a malformed id
    matches no route: 404 too)."""
    found = order_detail(db.session(), order_id)
    if found is None:
        abort(404, description="There is no order with this id.")
    return render_template("admin/orders/detail.html", detail=found)
