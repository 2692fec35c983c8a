"""Account pages: my add-ons (cancel, auto-renew), orders, and each order's receipt (HTML, PDF).

Every view requires a signed-in user and looks objects up by (id, user id), so another user's
subscription or order is a 404.
"""

from __future__ import annotations

import uuid
from functools import partial

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from marketplace.account import queries, service
from marketplace.account.forms import AutoRenewForm, CancelForm, PurchaseFilters
from marketplace.after_response import deliver_after_response
from marketplace.auth.guard import login_required
from marketplace.current import signed_in_shopper
from marketplace.extensions import db
from marketplace.models import UserAddOn
from marketplace.orders import queries as orders
from marketplace.orders.receipt_view import ReceiptView, Seller, receipt_view
from marketplace.orders.receipts import receipt_pdf
from marketplace.rendering import render, trigger, wants_partial

bp = Blueprint("account", __name__, url_prefix="/account")

SUBSCRIPTION_CHANGED = "subscription-changed"


def _user_id() -> str:
    """The signed-in user's id: every view here is behind `login_required`."""
    return signed_in_shopper().user_id


def _subscription_or_404(subscription_id: uuid.UUID) -> UserAddOn:
    subscription = queries.subscription(db.session(), _user_id(), subscription_id)
    if subscription is None:
        abort(404, description="That subscription doesn't exist.")
    return subscription


def _receipt_or_404(order_id: uuid.UUID) -> ReceiptView:
    found = orders.receipt(db.session(), _user_id(), order_id)
    if found is None:
        abort(404, description="That order doesn't exist or has no receipt yet.")
    return receipt_view(found, Seller.from_config(current_app.config))


def _order_of_purchase_or_404(purchase_id: uuid.UUID) -> uuid.UUID:
    found = orders.order_of_purchase(db.session(), _user_id(), purchase_id)
    if found is None:
        abort(404, description="That purchase doesn't exist.")
    return found.id


def _list_url(subscription_id: uuid.UUID) -> str:
    return f"{url_for('account.add_ons')}#subscription-{subscription_id}"


def _render_row(subscription: UserAddOn, *, status: int = 200, **context):
    return render(
        "account/subscription.html",
        "account/_subscription.html",
        status=status,
        subscription=subscription,
        sharing=queries.sharing_payment(db.session(), [subscription]),
        **context,
    )


def _changed(subscription: UserAddOn, message: str):
    """The updated row plus `subscription-changed`, or a 303 back to the list without JS."""
    if wants_partial():
        return trigger(_render_row(subscription, notice=message), SUBSCRIPTION_CHANGED)
    flash(message, "success")
    return redirect(_list_url(subscription.id), 303)


def _refused(subscription_id: uuid.UUID, error: service.SubscriptionError, **context):
    if error.status == 404:
        abort(404, description=error.message)
    if wants_partial():
        subscription = _subscription_or_404(subscription_id)
        return _render_row(subscription, status=error.status, error=error.message, **context)
    flash(error.message, "error")
    return redirect(_list_url(subscription_id), 303)


@bp.get("")
@login_required
def index():
    """Send /account to the page a shopper wants most: their add-ons."""
    return redirect(url_for("account.add_ons"))


@bp.get("/add-ons")
@login_required
def add_ons():
    """List the shopper's subscriptions, active ones first."""
    subscriptions = queries.subscriptions(db.session(), _user_id())
    return render(
        "account/add_ons.html",
        "account/_subscriptions.html",
        subscriptions=subscriptions,
        sharing=queries.sharing_payment(db.session(), subscriptions),
    )


@bp.get("/add-ons/<uuid:subscription_id>")
@login_required
def subscription(subscription_id):
    """Show one of the shopper's subscriptions (someone else's is a 404)."""
    return _render_row(_subscription_or_404(subscription_id))


@bp.get("/add-ons/<uuid:subscription_id>/cancel")
@login_required
def confirm_cancel(subscription_id):
    """Ask the shopper to confirm cancelling a subscription, saying what happens."""
    subscription = _subscription_or_404(subscription_id)
    return render(
        "account/cancel.html",
        "account/_cancel.html",
        subscription=subscription,
        form=CancelForm(formdata=None),
    )


@bp.post("/add-ons/<uuid:subscription_id>/cancel")
@login_required
def cancel(subscription_id):
    """Cancel one of the shopper's subscriptions."""
    form = CancelForm()
    if not form.validate():
        subscription = _subscription_or_404(subscription_id)
        return render(
            "account/cancel.html",
            "account/_cancel.html",
            status=422,
            subscription=subscription,
            form=form,
        )
    try:
        change = service.cancel(db.session(), _user_id(), subscription_id, form.reason.data)
    except service.SubscriptionError as error:
        return _refused(subscription_id, error)
    subscription = change.subscription
    response = _changed(subscription, f"{subscription.add_on.name} is cancelled.")
    return deliver_after_response(response, change.outbox_ids)


@bp.post("/add-ons/<uuid:subscription_id>/auto-renew")
@login_required
def auto_renew(subscription_id):
    """Switch a subscription's renewal on or off."""
    form = AutoRenewForm()
    if not form.validate():
        return _refused(subscription_id, service.SubscriptionError(form.first_error(), 422))
    try:
        change = service.set_auto_renew(db.session(), _user_id(), subscription_id, form.wanted)
    except service.SubscriptionError as error:
        return _refused(subscription_id, error)
    subscription = change.subscription
    state = "renews automatically" if subscription.auto_renew else "won't renew"
    response = _changed(subscription, f"{subscription.add_on.name} {state} now.")
    return deliver_after_response(response, change.outbox_ids)


@bp.get("/purchases")
@login_required
def purchases():
    """List the shopper's orders, filtered and paged."""
    form = PurchaseFilters(request.args)
    if not form.validate():
        abort(400, description=form.first_error())
    page = partial(
        render,
        "account/purchases.html",
        "account/_purchases.html",
        form=form,
        link_args=form.link_args(),
    )
    range_error = form.range_error()
    if range_error:
        return page(status=400, history=None, range_error=range_error, filtered=True)
    query = form.query()
    history = orders.order_history(db.session(), _user_id(), **query)
    if not history.items and query["page"] != 1:
        abort(404, description=f"There is no page {query['page']} of your orders.")
    return page(history=history, filtered=bool(form.link_args()))


@bp.get("/orders/<uuid:order_id>")
@login_required
def receipt(order_id):
    """Show the printable receipt of one of the shopper's orders."""
    return render_template(
        "account/receipt.html", receipt=_receipt_or_404(order_id), order_id=order_id
    )


@bp.get("/orders/<uuid:order_id>.pdf")
@login_required
def receipt_download(order_id):
    """Download the receipt of one of the shopper's orders as a PDF."""
    view = _receipt_or_404(order_id)
    response = make_response(receipt_pdf(view))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{view.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/purchases/<uuid:purchase_id>")
@login_required
def purchase_receipt(purchase_id):
    """Send an old per-purchase receipt link to its order's receipt."""
    order_id = _order_of_purchase_or_404(purchase_id)
    return redirect(url_for("account.receipt", order_id=order_id), 301)


@bp.get("/purchases/<uuid:purchase_id>.pdf")
@login_required
def purchase_receipt_download(purchase_id):
    """Send an old per-purchase PDF link to its order's PDF."""
    order_id = _order_of_purchase_or_404(purchase_id)
    return redirect(url_for("account.receipt_download", order_id=order_id), 301)
