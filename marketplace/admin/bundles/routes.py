"""Bundle admin pages under `/admin/bundles`: the list, the form with its price preview, and
(de)activation."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, request, url_for
from werkzeug.wrappers import Response

from marketplace.admin import choices
from marketplace.admin.access import current_actor
from marketplace.admin.audit.queries import history
from marketplace.admin.bundles import queries, service
from marketplace.admin.bundles.forms import BundleForm, BundleQuery, bundle_form_data
from marketplace.admin.changes import Refused
from marketplace.admin.forms import first_error, show_refusal
from marketplace.admin.views import changed, confirm_page, list_page
from marketplace.extensions import db
from marketplace.models import AddOnBundle
from marketplace.rendering import render, render_partial

bp = Blueprint("bundles", __name__, url_prefix="/bundles")
CHANGES = {"deactivate": False, "reactivate": True}


@bp.get("/")
def index():
    """List bundles: search, status filter, keyset pages (the partial for htmx)."""
    form = BundleQuery(request.args)
    return list_page(
        form,
        lambda cursor: queries.bundle_list(db.session(), form.filters(), cursor),
        page="admin/bundles/index.html",
        partial="admin/bundles/_list.html",
        what="bundle list",
        more=lambda page: {
            "names": choices.names_of(db.session(), {i for b in page.rows for i in b.add_on_ids})
        },
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Show the empty bundle form; create the bundle it sends."""
    form = _form()
    if request.method == "GET" or not form.validate():
        return _form_page(form, None, status=200 if request.method == "GET" else 422)
    try:
        bundle = service.create_bundle(db.session(), current_actor(), form.data_for_service())
    except Refused as refused:
        return _form_page(form, None, refused=refused)
    return changed(f"“{bundle.name}” was created.", url_for(".edit", bundle_id=bundle.id))


@bp.route("/<uuid:bundle_id>", methods=["GET", "POST"])
def edit(bundle_id: uuid.UUID):
    """Show a bundle's form, preview and history; save the form it sends."""
    bundle = _bundle(bundle_id)
    if request.method == "GET":
        form = _form(bundle, formdata=None, data=bundle_form_data(bundle))
        return _form_page(form, bundle, status=200)
    form = _form(bundle)
    if not form.validate():
        return _form_page(form, bundle, status=422)
    try:
        service.update_bundle(
            db.session(), current_actor(), bundle_id, form.data_for_service(), form.token.data or ""
        )
    except Refused as refused:
        return _form_page(form, bundle, refused=refused)
    return changed(f"“{form.name.data}” was saved.", url_for(".edit", bundle_id=bundle_id))


@bp.post("/preview")
def preview():
    """The price the shop charges for the form's bundle: the preview panel for htmx (on every
    change), the whole form page with it for the plain "Preview" button."""
    bundle_id = request.args.get("bundle", type=uuid.UUID)
    bundle = _bundle(bundle_id) if bundle_id else None
    form = _form(bundle)
    context: dict[str, object] = {}
    status = 200
    if not form.validate():
        context["preview_error"], status = first_error(form), 422
    else:
        try:
            context["preview"] = service.preview(db.session(), form.data_for_service())
        except Refused as refused:
            context["preview_error"], status = refused.message, show_refusal(form, refused)
    if request.headers.get("HX-Target") == "bundle-preview":
        return render_partial(
            "admin/bundles/_preview.html", status=status, form=form, bundle=bundle, **context
        )
    return _form_page(form, bundle, status=status, extra=context)


@bp.route("/<uuid:bundle_id>/<any(deactivate, reactivate):change>", methods=["GET", "POST"])
def change_status(bundle_id: uuid.UUID, change: str):
    """Confirm, then deactivate or reactivate a bundle."""
    bundle = _bundle(bundle_id)
    if request.method == "GET":
        return confirm_page(
            subject=bundle.name,
            change=change,
            action=url_for(".change_status", bundle_id=bundle_id, change=change),
            back=url_for(".edit", bundle_id=bundle_id),
            explanation=EXPLANATIONS[change],
        )
    service.set_active(db.session(), current_actor(), bundle_id, CHANGES[change])
    return changed(f"“{bundle.name}” was {change}d.", url_for(".edit", bundle_id=bundle_id))


EXPLANATIONS = {
    "deactivate": "It leaves the shop at once: carts stop getting its discount and it can no "
    "longer be bought. Past orders keep the price they were charged. You can reactivate it.",
    "reactivate": "It comes back to the shop at once, with its current discount and window.",
}


def _bundle(bundle_id: uuid.UUID) -> AddOnBundle:
    bundle = queries.bundle(db.session(), bundle_id)
    if bundle is None:
        abort(404, description="This bundle does not exist (any more).")
    return bundle


def _form(bundle: AddOnBundle | None = None, **kwargs) -> BundleForm:
    keep = bundle.add_on_ids if bundle else ()
    return BundleForm(**kwargs).with_add_ons(choices.add_on_choices(db.session(), keep))


def _form_page(
    form: BundleForm,
    bundle: AddOnBundle | None,
    *,
    refused: Refused | None = None,
    status: int = 422,
    extra: dict[str, object] | None = None,
) -> Response:
    """The bundle page: its form (with `refused`'s message), preview and history."""
    if refused is not None:
        status = show_refusal(form, refused)
    entries = history(db.session(), service.OBJECT_TYPE, bundle.id) if bundle else []
    return render(
        "admin/bundles/edit.html",
        "admin/bundles/_form.html",
        status=status,
        form=form,
        bundle=bundle,
        refusal=refused,
        entries=entries,
        **(extra or {}),
    )
