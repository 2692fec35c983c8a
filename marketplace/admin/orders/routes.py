"""Order pages under `/admin/orders`: the filtered list, one order's page, and its refunds
(a form, its confirm step, the refund)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from flask import Blueprint, abort, current_app, request, url_for

from marketplace.admin.access import current_actor
from marketplace.admin.changes import Refused
from marketplace.admin.forms import show_refusal
from marketplace.admin.orders import refunds
from marketplace.admin.orders.forms import OrderQuery, RefundForm
from marketplace.admin.orders.queries import OrderDetail, order_detail, order_list
from marketplace.admin.views import list_page, saved
from marketplace.after_response import deliver_after_response
from marketplace.current import current_shopper
from marketplace.extensions import db
from marketplace.pricing.money import format_money
from marketplace.rendering import render
from marketplace.vocabulary import Role

bp = Blueprint("orders", __name__, url_prefix="/orders")


@bp.get("/")
def index():
    """List orders, newest first: filters and keyset pages (the partial for htmx)."""
    form = OrderQuery(request.args)
    return list_page(
        form,
        lambda cursor: order_list(db.session(), form.filters(), cursor),
        page="admin/orders/index.html",
        partial="admin/orders/_orders.html",
        what="order list",
    )


@bp.get("/<uuid:order_id>")
def detail(order_id: uuid.UUID):
    """One order: lines, discounts, refunds, totals, payment and its history, and for admins
    the refund form (a malformed id matches no route: 404 too)."""
    found = _detail_or_404(order_id)
    form = RefundForm(formdata=None, data={"state": refunds.refund_state(found.order.lines)})
    return _refund_page(found, _refund_form(found, form))


@bp.post("/<uuid:order_id>/refund")
def refund(order_id: uuid.UUID):
    """Check a refund and ask to confirm it; once confirmed, make it (the panel for htmx)."""
    found = _detail_or_404(order_id)
    form = _refund_form(found, RefundForm())
    if not form.validate():
        return _refund_page(found, form, status=422)
    asked = form.request()
    try:
        if not form.confirmed.data:
            shares = refunds.preview(db.session(), order_id, asked)
            return _refund_page(found, form, shares=shares)
        made = refunds.refund_order(
            db.session(), refunds.provider(current_app.config), current_actor(), order_id, asked
        )
    except Refused as refused:
        status = 502 if isinstance(refused, refunds.ProviderFailed) else None
        status = status or show_refusal(form, refused)
        return _refund_page(found, form, status=status, refusal=refused.message)
    amount = format_money(made.refund.amount, found.order.currency)
    if made.new:
        message = f"Refunded {amount}: the shopper gets an e-mail saying so."
    else:
        message = f"This refund of {amount} was made already; nothing more was refunded."
    response = saved(message, url_for(".detail", order_id=order_id))
    return deliver_after_response(response, made.outbox_ids)


def _detail_or_404(order_id: uuid.UUID) -> OrderDetail:
    found = order_detail(db.session(), order_id)
    if found is None:
        abort(404, description="There is no order with this id.")
    return found


def _refund_form(found: OrderDetail, form: RefundForm) -> RefundForm:
    lines = found.order.lines
    return form.with_lines(lines, refunds.refundable(lines))


def _refund_page(
    found: OrderDetail,
    form: RefundForm,
    *,
    status: int = 200,
    shares: dict[uuid.UUID, Decimal] | None = None,
    refusal: str | None = None,
):
    """The order page, or for htmx its refund panel: the form, its confirm step or a refusal."""
    left = refunds.refundable(found.order.lines)
    return render(
        "admin/orders/detail.html",
        "admin/orders/_refund.html",
        status=status,
        detail=found,
        form=form,
        shares=shares,
        refusal=refusal,
        left=left,
        may_refund=current_shopper().role is Role.ADMIN and any(v > 0 for v in left.values()),
    )
