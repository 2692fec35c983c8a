"""Subscription admin pages under `/admin/subscriptions`: the searchable list, one
subscription's page with its changes (extend; cancel, suspend, reactivate after a confirm step)
and the complimentary grant."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, request, url_for
from werkzeug.wrappers import Response

from marketplace.admin.access import current_actor
from marketplace.admin.changes import Conflict, NotFound, Refused
from marketplace.admin.choices import add_on_choices
from marketplace.admin.forms import first_error
from marketplace.admin.subscriptions import queries, service
from marketplace.admin.subscriptions.forms import (
    ChangeForm,
    ExtendForm,
    GrantForm,
    SubscriptionQuery,
)
from marketplace.admin.views import confirm_page, saved
from marketplace.after_response import deliver_after_response
from marketplace.extensions import db
from marketplace.models import UserAddOn
from marketplace.rendering import render

bp = Blueprint("subscriptions", __name__, url_prefix="/subscriptions")
CHANGES = {
    "cancel": (
        service.cancel,
        "cancelled",
        "Its features stop at once and it never renews: Stripe cancels its payment (or drops "
        "its item from a shared subscription) and Lago stops billing it. Nothing is refunded — "
        "refund from the order if you mean to. The shopper gets the cancellation e-mail.",
    ),
    "suspend": (
        service.suspend,
        "suspended",
        "Its features stop at once and its renewal is switched off (Stripe too). Nothing is "
        "refunded. Reactivate it to give the time left back.",
    ),
    "reactivate": (
        service.reactivate,
        "reactivated",
        "Its features work again until it expires. It does not renew: the shopper can switch "
        "renewal back on in “My add-ons”.",
    ),
}


@bp.get("/")
def index():
    """List subscriptions, newest first: search, filters, keyset pages (partial for htmx)."""
    form = SubscriptionQuery(request.args).with_add_ons(_add_ons(every=True))
    if not form.validate():
        abort(400, description=first_error(form))
    try:
        cursor = form.cursor()
    except (ValueError, ArithmeticError):
        abort(400, description="Page: this link is not one the subscription list made.")
    return render(
        "admin/subscriptions/index.html",
        "admin/subscriptions/_subscriptions.html",
        form=form,
        results=queries.subscription_list(db.session(), form.filters(), cursor),
        args=form.args(),
    )


@bp.get("/<uuid:subscription_id>")
def detail(subscription_id: uuid.UUID):
    """One subscription: holder, dates, billing, purchases, history and what can be done."""
    return _detail_page(subscription_id)


@bp.post("/<uuid:subscription_id>/extend")
def extend(subscription_id: uuid.UUID):
    """Move the subscription's expiry later (the form again with its message if refused)."""
    form = ExtendForm()
    if not form.validate():
        return _detail_page(subscription_id, extend_form=form, status=422)
    try:
        done = service.extend(
            db.session(),
            current_actor(),
            subscription_id,
            form.token.data or "",
            form.when(),
            form.reason.data,
        )
    except NotFound as missing:
        abort(404, description=missing.message)
    except Refused as refused:
        return _detail_page(
            subscription_id, extend_form=form, refused=refused, status=_status(refused)
        )
    until = f"{done.subscription.expires_at:%Y-%m-%d %H:%M} UTC"
    return _saved(
        done.subscription,
        f"{done.subscription.add_on.name} now runs until {until}.",
        done.outbox_ids,
    )


@bp.route(
    "/<uuid:subscription_id>/<any(cancel, suspend, reactivate):change>", methods=["GET", "POST"]
)
def change_status(subscription_id: uuid.UUID, change: str):
    """Confirm, then cancel, suspend or reactivate the subscription."""
    subscription = _subscription(subscription_id)
    if request.method == "GET":
        fresh = ChangeForm(formdata=None, data={"token": service.edit_token(subscription)})
        return _confirm(subscription, change, fresh)
    form = ChangeForm()
    if not form.validate():
        return _confirm(subscription, change, form, refusal=first_error(form), status=422)
    act, verb, _ = CHANGES[change]
    try:
        done = act(
            db.session(), current_actor(), subscription_id, form.token.data or "", form.reason.data
        )
    except NotFound as missing:
        abort(404, description=missing.message)
    except Refused as refused:
        subscription = _subscription(subscription_id)
        return _confirm(
            subscription, change, form, refusal=refused.message, status=_status(refused)
        )
    return _saved(
        done.subscription, f"{done.subscription.add_on.name} was {verb}.", done.outbox_ids
    )


@bp.route("/grant", methods=["GET", "POST"])
def grant():
    """Show the complimentary grant form (`?user_id=&add_on_id=` fill it in); grant it."""
    if request.method == "GET":
        given = {k: request.args[k] for k in ("user_id", "add_on_id") if k in request.args}
        form = GrantForm(formdata=None, data=given).with_add_ons(_add_ons(every=False))
        return _grant_page(form, status=200)
    form = GrantForm().with_add_ons(_add_ons(every=False))
    if not form.validate():
        return _grant_page(form, status=422)
    try:
        granted = service.grant(
            db.session(),
            current_actor(),
            form.user_id.data or "",
            uuid.UUID(form.add_on_id.data),
            form.when(),
            form.reason.data or "",
        )
    except Refused as refused:
        return _grant_page(form, refused=refused, status=_status(refused))
    name, number = granted.subscription.add_on.name, granted.order.number
    message = f"{name} was granted free to {granted.subscription.user_id} (order {number})."
    return _saved(granted.subscription, message, granted.outbox_ids)


def _add_ons(*, every: bool) -> list[tuple[uuid.UUID, str]]:
    """Add-ons to choose from: `every` one (the list's filter) or the active ones (a grant)."""
    return add_on_choices(db.session(), every=every)


def _subscription(subscription_id: uuid.UUID) -> UserAddOn:
    found = queries.subscription(db.session(), subscription_id)
    if found is None:
        abort(404, description=service.MISSING)
    return found


def _status(refused: Refused) -> int:
    """409 when the subscription's state (or someone else) stands in the way; 422 for a value."""
    return 422 if refused.field and not isinstance(refused, Conflict) else 409


def _saved(subscription: UserAddOn, message: str, outbox_ids=()) -> Response:
    """Tell the admin, show the subscription's page; Stripe, Lago and mail once it has gone."""
    response = saved(message, url_for(".detail", subscription_id=subscription.id))
    return deliver_after_response(response, outbox_ids)


def _detail_page(
    subscription_id: uuid.UUID,
    *,
    extend_form: ExtendForm | None = None,
    refused: Refused | None = None,
    status: int = 200,
) -> Response:
    """The subscription's page; with `extend_form`, that form as sent (with `refused`'s
    message on its field); for htmx, the extend form alone."""
    found = queries.subscription_detail(db.session(), subscription_id)
    if found is None:
        abort(404, description=service.MISSING)
    token = service.edit_token(found.subscription)
    if extend_form is None:
        extend_form = ExtendForm(formdata=None, data={"token": token})
    if refused is not None and refused.field:
        extend_form[refused.field].errors = [*extend_form[refused.field].errors, refused.message]
    return render(
        "admin/subscriptions/detail.html",
        "admin/subscriptions/_extend.html",
        status=status,
        detail=found,
        extend_form=extend_form,
        refusal=refused,
    )


def _confirm(
    subscription: UserAddOn,
    change: str,
    form: ChangeForm,
    *,
    refusal: str | None = None,
    status: int = 200,
) -> Response:
    """The confirm step of `change`, with the reason box and the page's edit token."""
    return confirm_page(
        subject=f"{subscription.add_on.name} of {subscription.user_id}",
        change=change,
        action=url_for(".change_status", subscription_id=subscription.id, change=change),
        back=url_for(".detail", subscription_id=subscription.id),
        explanation=CHANGES[change][2],
        refusal=refusal,
        status=status,
        form=form,
    )


def _grant_page(form: GrantForm, *, refused: Refused | None = None, status: int) -> Response:
    if refused is not None and refused.field in form:
        form[refused.field].errors = [*form[refused.field].errors, refused.message]
    return render(
        "admin/subscriptions/grant.html",
        "admin/subscriptions/_grant_form.html",
        status=status,
        form=form,
        refusal=refused,
    )
