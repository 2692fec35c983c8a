"""Promo code admin pages under `/admin/promos`: the list, a code's form and usage, and batch
generation with its streamed CSV."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TypeVar

from flask import Blueprint, Response, abort, request, stream_with_context, url_for

from marketplace.admin import choices
from marketplace.admin.access import current_actor
from marketplace.admin.audit.queries import history
from marketplace.admin.changes import Refused
from marketplace.admin.forms import show_refusal
from marketplace.admin.keyset import Cursor
from marketplace.admin.promos import queries, service
from marketplace.admin.promos.forms import BatchForm, PromoForm, PromoQuery, promo_form_data
from marketplace.admin.views import list_page, saved
from marketplace.extensions import db
from marketplace.models import PromotionalCode
from marketplace.rendering import render

bp = Blueprint("promos", __name__, url_prefix="/promos")
F = TypeVar("F", PromoForm, BatchForm)
CSV_HEADER = ("code", "discount_type", "discount_value", "max_uses", "valid_from", "expires_at")


@bp.get("/")
def index():
    """List codes: search, status filter, keyset pages by code (the partial for htmx)."""
    form = PromoQuery(request.args)
    return list_page(
        form,
        lambda cursor: queries.promo_list(db.session(), form.filters(), cursor),
        page="admin/promos/index.html",
        partial="admin/promos/_list.html",
        what="code list",
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Show the empty code form; create the code it sends."""
    form = _with_choices(PromoForm())
    if request.method == "GET" or not form.validate():
        return _form_page(form, None, status=200 if request.method == "GET" else 422)
    try:
        promo = service.create_code(
            db.session(), current_actor(), form.code.data or "", form.terms()
        )
    except Refused as refused:
        return _form_page(form, None, refused=refused)
    return saved(f"“{promo.code}” was created.", url_for(".edit", code_id=promo.id))


@bp.route("/<uuid:code_id>", methods=["GET", "POST"])
def edit(code_id: uuid.UUID):
    """Show a code's form and history; save the form it sends."""
    promo = _promo(code_id)
    if request.method == "GET":
        form = _with_choices(PromoForm(formdata=None, data=promo_form_data(promo)))
        return _form_page(form, promo, status=200)
    form = _with_choices(PromoForm())
    if not form.validate():
        return _form_page(form, promo, status=422)
    try:
        service.update_code(
            db.session(),
            current_actor(),
            code_id,
            form.code.data or "",
            form.terms(),
            form.token.data or "",
        )
    except Refused as refused:
        return _form_page(form, promo, refused=refused)
    return saved(f"“{form.code.data}” was saved.", url_for(".edit", code_id=code_id))


@bp.get("/<uuid:code_id>/usage")
def usage(code_id: uuid.UUID):
    """Who redeemed the code, when, in which order, and the discount it gave."""
    promo = _promo(code_id)
    after = request.args.get("after", "")
    try:
        cursor = Cursor.parse(after, datetime.fromisoformat) if after else None
    except ValueError:
        abort(400, description="Page: this link is not one the usage page made.")
    rows, next_cursor = queries.redemptions(db.session(), code_id, cursor)
    return render(
        "admin/promos/usage.html",
        "admin/promos/_usage.html",
        promo=promo,
        rows=rows,
        next_cursor=next_cursor,
        after=after,
        totals=queries.redemption_totals(db.session(), code_id),
    )


@bp.route("/batch", methods=["GET", "POST"])
def batch():
    """Show the batch form; make the codes it asks for and go to the batch's page."""
    form = _with_choices(BatchForm())
    if request.method == "GET" or not form.validate():
        status = 200 if request.method == "GET" else 422
        return render(
            "admin/promos/batch.html", "admin/promos/_batch_form.html", form=form, status=status
        )
    try:
        made = service.generate_batch(
            db.session(),
            current_actor(),
            form.prefix.data or "",
            form.count.data or 0,
            form.terms(),
        )
    except Refused as refused:
        status = show_refusal(form, refused)
        return render(
            "admin/promos/batch.html", "admin/promos/_batch_form.html", form=form, status=status
        )
    message = f"{made.count:,} codes starting “{made.prefix}” were created."
    return saved(message, url_for(".batch_page", batch_id=made.id))


@bp.get("/batches/<uuid:batch_id>")
def batch_page(batch_id: uuid.UUID):
    """A batch: how many codes, its audit entry, and the CSV download."""
    count = queries.batch_size(db.session(), batch_id)
    if not count:
        abort(404, description="This batch does not exist.")
    entries = history(db.session(), service.BATCH_TYPE, batch_id)
    return render(
        "admin/promos/batch_done.html",
        "admin/promos/batch_done.html",
        batch_id=batch_id,
        count=count,
        entries=entries,
    )


@bp.get("/batches/<uuid:batch_id>.csv")
def batch_csv(batch_id: uuid.UUID):
    """The batch's codes as CSV, streamed from a server-side cursor as they are read."""
    if not queries.batch_size(db.session(), batch_id):
        abort(404, description="This batch does not exist.")
    rows = queries.batch_codes(db.session(), batch_id)
    response = Response(stream_with_context(csv_lines([CSV_HEADER], rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="promo-codes-{batch_id}.csv"'
    return response


def csv_lines(*parts: Iterable[Iterable[object]]) -> Iterator[str]:
    """Rows as CSV text, a few thousand rows a chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for part in parts:
        for count, row in enumerate(part, 1):
            writer.writerow(["" if value is None else value for value in row])
            if count % 2000 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


def _promo(code_id: uuid.UUID) -> PromotionalCode:
    promo = queries.promo(db.session(), code_id)
    if promo is None:
        abort(404, description="This promo code does not exist (any more).")
    return promo


def _with_choices(form: F) -> F:
    session = db.session()
    keep = form.applicable_to.data or []
    form.with_choices(choices.add_on_choices(session, keep), choices.tier_choices(session))
    return form


def _form_page(
    form: PromoForm,
    promo: PromotionalCode | None,
    *,
    refused: Refused | None = None,
    status: int = 422,
) -> Response:
    """The code's page: its form (with `refused`'s message) and history."""
    if refused is not None:
        status = show_refusal(form, refused)
    entries = history(db.session(), service.OBJECT_TYPE, promo.id) if promo else []
    return render(
        "admin/promos/edit.html",
        "admin/promos/_form.html",
        status=status,
        form=form,
        promo=promo,
        refusal=refused,
        entries=entries,
    )
