"""Operations pages under `/admin/operations`: the billing outbox with "Retry now", and the
Stripe events received."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, request, url_for

from marketplace.admin.access import current_actor
from marketplace.admin.operations import queries, service
from marketplace.admin.operations.forms import EventsQuery, OutboxQuery, RetryForm
from marketplace.admin.views import list_page
from marketplace.extensions import db
from marketplace.redirects import safe_local_path
from marketplace.rendering import go_to

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
    form = OutboxQuery(request.args)
    return list_page(
        form,
        lambda cursor: queries.outbox_page(db.session(), form.filters(), cursor),
        page="admin/operations/outbox.html",
        partial="admin/operations/_outbox.html",
        what="outbox list",
        more=lambda _: {
            "summary": queries.outbox_summary(db.session()),
            "retry": RetryForm(formdata=None, back=request.full_path),
        },
    )


@bp.get("/stripe-events")
def events():
    """List the Stripe webhook events handled, newest first."""
    form = EventsQuery(request.args)
    return list_page(
        form,
        lambda cursor: queries.events_page(db.session(), form.event_type(), cursor),
        page="admin/operations/events.html",
        partial="admin/operations/_events.html",
        what="event list",
        more=lambda _: {"latest": queries.latest_event_at(db.session())},
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
