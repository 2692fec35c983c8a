"""Operations pages under `/admin/operations`: the billing outbox with "Retry now", and the
Stripe events received."""

from __future__ import annotations

import uuid
from typing import TypeVar

from flask import Blueprint, abort, current_app, flash, request, url_for

from marketplace.admin.access import current_actor
from marketplace.admin.forms import first_error
from marketplace.admin.operations import queries, service
from marketplace.admin.operations.forms import EventsQuery, OutboxQuery, PagedQuery, RetryForm
from marketplace.extensions import db
from marketplace.redirects import safe_local_path
from marketplace.rendering import go_to, render

Query = TypeVar("Query", bound=PagedQuery)
bp = Blueprint("operations", __name__, url_prefix="/operations")
OUTCOMES = {
    "delivered": ("Delivered.", "success"),
    "failed": ("Tried again; it failed: {error}. It stays pending with a later retry.", "error"),
    "not_sent": (
        "Due now, but not sent from here: this server has no client for that kind (Lago or "
        "Stripe settings), or another runner holds it. `flask maintain sync-billing` sends it.",
        "info",
    ),
}


@bp.get("/")
def index():
    """List the pending billing outbox entries (filter by kind and state), soonest due first."""
    form = _valid(OutboxQuery(request.args))
    session = db.session()
    try:
        page = queries.outbox_page(session, form.filters(), form.cursor())
    except ValueError:
        abort(400, description="Page: this link is not one the outbox list made.")
    return render(
        "admin/operations/outbox.html",
        "admin/operations/_outbox.html",
        form=form,
        results=page,
        args=form.args(),
        summary=queries.outbox_summary(session),
        retry=RetryForm(formdata=None, back=request.full_path),
    )


@bp.get("/stripe-events")
def events():
    """List the Stripe webhook events handled, newest first."""
    form = _valid(EventsQuery(request.args))
    session = db.session()
    try:
        page = queries.events_page(session, form.event_type(), form.cursor())
    except ValueError:
        abort(400, description="Page: this link is not one the event list made.")
    return render(
        "admin/operations/events.html",
        "admin/operations/_events.html",
        form=form,
        results=page,
        args=form.args(),
        latest=queries.latest_event_at(session),
    )


@bp.post("/outbox/<uuid:entry_id>/retry")
def retry(entry_id: uuid.UUID):
    """Make the entry due now and try to deliver it at once; say how it went."""
    form = RetryForm()
    try:
        outcome = service.retry_now(db.session(), current_actor(), entry_id, current_app.config)
    except service.NotFound as missing:
        abort(404, description=str(missing))
    message, category = OUTCOMES[outcome.result]
    flash(message.format(error=outcome.error), category)
    return go_to(safe_local_path(form.back.data, url_for(".index")))


def _valid(form: Query) -> Query:
    if not form.validate():
        abort(400, description=first_error(form))
    return form
