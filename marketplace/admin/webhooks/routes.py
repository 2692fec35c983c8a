"""Webhook endpoint pages under `/admin/webhooks`: the list, an endpoint's form, secret and
delivery log (with "Resend"), and the confirm steps of rotating the secret and deleting."""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, abort, current_app, flash, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from marketplace.admin.access import current_actor
from marketplace.admin.audit.queries import history
from marketplace.admin.changes import NotFound, Refused
from marketplace.admin.forms import first_error, show_refusal
from marketplace.admin.views import confirm_page, saved
from marketplace.admin.webhooks import queries, service
from marketplace.admin.webhooks.forms import EndpointForm, LogQuery, endpoint_form_data
from marketplace.after_response import deliver_after_response
from marketplace.events.addresses import private_allowed
from marketplace.extensions import db
from marketplace.models import WebhookEndpoint
from marketplace.rendering import go_to, render

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
EXPLANATIONS = {
    "rotate the secret of": "A new secret is made and shown once. Every delivery from now on "
    "is signed with it, retries of earlier events included: update the receiver at once.",
    "delete": "The endpoint and its delivery log go; events it is still owed are dropped. "
    "Deactivate it instead to pause deliveries and keep them.",
}


@bp.get("/")
def index():
    """List the endpoints with what each is still owed."""
    session = db.session()
    return render(
        "admin/webhooks/index.html",
        "admin/webhooks/_list.html",
        endpoints=queries.endpoints(session),
        backlogs=queries.backlogs(session),
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Show the empty endpoint form; create the endpoint and show its secret once."""
    form = EndpointForm()
    if request.method == "GET" or not form.validate():
        return _form_page(form, None, status=200 if request.method == "GET" else 422)
    try:
        endpoint = service.create_endpoint(
            db.session(),
            current_actor(),
            form.endpoint_data(),
            private_ok=private_allowed(current_app.config),
        )
    except Refused as refused:
        return _form_page(form, None, refused=refused)
    return _secret_page(endpoint, endpoint.secret, "made", status=201)


@bp.route("/<uuid:endpoint_id>", methods=["GET", "POST"])
def edit(endpoint_id: uuid.UUID):
    """Show an endpoint's form, delivery log and history; save the form it sends."""
    endpoint = _endpoint(endpoint_id)
    if request.method == "GET":
        data = endpoint_form_data(endpoint, service.edit_token(endpoint))
        return _form_page(EndpointForm(formdata=None, data=data), endpoint, status=200)
    form = EndpointForm()
    if not form.validate():
        return _form_page(form, endpoint, status=422)
    try:
        service.update_endpoint(
            db.session(),
            current_actor(),
            endpoint_id,
            form.endpoint_data(),
            form.token.data or "",
            private_ok=private_allowed(current_app.config),
        )
    except Refused as refused:
        return _form_page(form, endpoint, refused=refused)
    return saved("The endpoint was saved.", url_for(".edit", endpoint_id=endpoint_id))


@bp.get("/<uuid:endpoint_id>/deliveries")
def deliveries(endpoint_id: uuid.UUID):
    """The endpoint's delivery log, newest first, a keyset page at a time."""
    endpoint = _endpoint(endpoint_id)
    form = LogQuery(request.args)
    if not form.validate():
        abort(400, description=first_error(form))
    try:
        page = queries.delivery_log(db.session(), endpoint_id, form.cursor())
    except ValueError:
        abort(400, description="Page: this link is not one the delivery log made.")
    return render(
        "admin/webhooks/deliveries.html",
        "admin/webhooks/_log.html",
        webhook=endpoint,
        log=page,
        after=form.after.data,
    )


@bp.post("/<uuid:endpoint_id>/secret")
def reveal(endpoint_id: uuid.UUID):
    """Show the endpoint's secret (audited)."""
    try:
        secret = service.reveal_secret(db.session(), current_actor(), endpoint_id)
    except NotFound as missing:
        abort(404, description=missing.message)
    return _secret_page(_endpoint(endpoint_id), secret, "revealed")


@bp.route("/<uuid:endpoint_id>/rotate", methods=["GET", "POST"])
def rotate(endpoint_id: uuid.UUID):
    """Ask, then replace the endpoint's secret and show the new one once."""
    endpoint = _endpoint(endpoint_id)
    if request.method == "GET":
        return _confirm(
            endpoint, "rotate the secret of", url_for(".rotate", endpoint_id=endpoint_id)
        )
    try:
        secret = service.rotate_secret(db.session(), current_actor(), endpoint_id)
    except NotFound as missing:
        abort(404, description=missing.message)
    return _secret_page(_endpoint(endpoint_id), secret, "replaced")


@bp.route("/<uuid:endpoint_id>/delete", methods=["GET", "POST"])
def delete(endpoint_id: uuid.UUID):
    """Ask, then delete the endpoint."""
    endpoint = _endpoint(endpoint_id)
    if request.method == "GET":
        return _confirm(endpoint, "delete", url_for(".delete", endpoint_id=endpoint_id))
    try:
        dropped = service.delete_endpoint(db.session(), current_actor(), endpoint_id)
    except NotFound as missing:
        abort(404, description=missing.message)
    note = f" {dropped} undelivered events were dropped." if dropped else ""
    return saved(f"The endpoint {endpoint.url} was deleted.{note}", url_for(".index"))


@bp.post("/<uuid:endpoint_id>/events/<uuid:event_id>/resend")
def resend(endpoint_id: uuid.UUID, event_id: uuid.UUID):
    """Send an event to the endpoint again (audited); it goes out once this answer has."""
    try:
        entry_id = service.resend(db.session(), current_actor(), endpoint_id, event_id)
    except NotFound as missing:
        abort(404, description=missing.message)
    flash("The event was queued again and is being sent now; reload to see the attempt.", "success")
    response = go_to(url_for(".edit", endpoint_id=endpoint_id, _anchor="deliveries"))
    return deliver_after_response(response, [entry_id])


def _endpoint(endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = queries.endpoint(db.session(), endpoint_id)
    if endpoint is None:
        abort(404, description=service.GONE)
    return endpoint


def _confirm(endpoint: WebhookEndpoint, change: str, action: str) -> BaseResponse:
    return confirm_page(
        subject=endpoint.url,
        change=change,
        action=action,
        back=url_for(".edit", endpoint_id=endpoint.id),
        explanation=EXPLANATIONS[change],
    )


def _secret_page(endpoint: WebhookEndpoint, secret: str, how: str, status: int = 200) -> Response:
    """The endpoint's secret, shown on this answer only (never stored in the page's URL)."""
    return render(
        "admin/webhooks/secret.html",
        "admin/webhooks/_secret.html",
        status=status,
        webhook=endpoint,
        secret=secret,
        how=how,
    )


def _form_page(
    form: EndpointForm,
    endpoint: WebhookEndpoint | None,
    *,
    refused: Refused | None = None,
    status: int = 422,
) -> Response:
    """The endpoint's page: its form (with `refused`'s message), log and history."""
    if refused is not None:
        status = show_refusal(form, refused)
    session = db.session()
    # `webhook`, not `endpoint`: base.html sets that name to the request's endpoint.
    context: dict[str, object] = {"form": form, "webhook": endpoint, "refusal": refused}
    if endpoint is not None:
        context |= {
            "log": queries.delivery_log(session, endpoint.id),
            "after": "",
            "entries": history(session, service.OBJECT_TYPE, endpoint.id),
        }
    return render("admin/webhooks/edit.html", "admin/webhooks/_form.html", status=status, **context)
