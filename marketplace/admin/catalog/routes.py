"""Catalog admin pages under `/admin/catalog`: the add-on list, form, status, features."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from marketplace.admin.access import current_actor
from marketplace.admin.audit.queries import history
from marketplace.admin.catalog import features, queries, service
from marketplace.admin.catalog.forms import (
    AddOnForm,
    AddOnQuery,
    BulkForm,
    FeatureForm,
    add_on_form_data,
)
from marketplace.admin.changes import NotFound, Refused
from marketplace.admin.forms import first_error, show_refusal
from marketplace.admin.views import changed, confirm_page, list_page
from marketplace.extensions import db
from marketplace.models import AddOn, AddOnFeature
from marketplace.redirects import safe_local_path
from marketplace.rendering import go_to, render

bp = Blueprint("catalog", __name__, url_prefix="/catalog")
CHANGES = {"deactivate": False, "reactivate": True}
EXPLANATIONS = {
    "deactivate": "It leaves the shop at once: nobody can add it to a cart or buy it. Its buyers "
    "keep their subscriptions and history. You can reactivate it later.",
    "reactivate": "It comes back to the shop at once, at its current price.",
    "delete": "Deleting removes it for good, with its feature mappings and pricing rules. Only "
    "an add-on that was never sold can be deleted; otherwise deactivate it.",
}


@bp.get("/add-ons")
def add_ons():
    """List add-ons: search, filters, sort, keyset pages (the partial for htmx)."""
    form = AddOnQuery(request.args)
    return list_page(
        form,
        lambda cursor: queries.add_on_list(db.session(), form.filters(), cursor),
        page="admin/catalog/add_ons.html",
        partial="admin/catalog/_add_ons.html",
        what="add-on list",
        more=lambda _: {"bulk": BulkForm(formdata=None, back=request.full_path)},
    )


@bp.route("/add-ons/new", methods=["GET", "POST"])
def new_add_on():
    """Show the empty add-on form; create the add-on it sends."""
    form = AddOnForm()
    if request.method == "GET" or not form.validate():
        return _form_page(form, None, status=200 if request.method == "GET" else 422)
    try:
        add_on = service.create_add_on(db.session(), current_actor(), form.data_for_service())
    except Refused as refused:
        return _form_page(form, None, refused=refused)
    return changed(f"“{add_on.name}” was created.", url_for(".edit", add_on_id=add_on.id))


@bp.route("/add-ons/<uuid:add_on_id>", methods=["GET", "POST"])
def edit(add_on_id: uuid.UUID):
    """Show an add-on's form, mappings and history; save the form it sends."""
    add_on = _add_on(add_on_id)
    if request.method == "GET":
        return _form_page(_loaded_form(add_on), add_on, status=200)
    form = AddOnForm()
    if not form.validate():
        return _form_page(form, add_on, status=422)
    try:
        service.update_add_on(
            db.session(), current_actor(), add_on_id, form.data_for_service(), form.token.data or ""
        )
    except Refused as refused:
        return _form_page(form, add_on, refused=refused)
    return changed(f"“{form.name.data}” was saved.", url_for(".edit", add_on_id=add_on_id))


@bp.route("/add-ons/<uuid:add_on_id>/<any(deactivate, reactivate):change>", methods=["GET", "POST"])
def change_status(add_on_id: uuid.UUID, change: str):
    """Confirm, then deactivate (soft delete) or reactivate an add-on."""
    add_on = _add_on(add_on_id)
    if request.method == "GET":
        return _confirm(add_on, change)
    service.set_active(db.session(), current_actor(), [add_on_id], CHANGES[change])
    return changed(f"“{add_on.name}” was {change}d.", url_for(".edit", add_on_id=add_on_id))


@bp.route("/add-ons/<uuid:add_on_id>/delete", methods=["GET", "POST"])
def delete(add_on_id: uuid.UUID):
    """Confirm, then delete an add-on that was never sold."""
    add_on = _add_on(add_on_id)
    if request.method == "GET":
        return _confirm(add_on, "delete")
    try:
        name = service.delete_add_on(db.session(), current_actor(), add_on_id)
    except Refused as refused:
        return _confirm(_add_on(add_on_id), "delete", refusal=refused.message, status=409)
    return changed(f"“{name}” was deleted.", url_for(".add_ons"))


@bp.post("/add-ons/bulk")
def bulk():
    """Activate or deactivate the ticked add-ons, in one transaction."""
    form = BulkForm()
    if not form.validate():
        abort(400, description=first_error(form))
    try:
        ids = [uuid.UUID(value) for value in form.ids.data or []]
    except ValueError:
        abort(400, description="Add-ons: tick add-ons from the list.")
    back = safe_local_path(form.back.data, url_for(".add_ons"))
    if not ids:
        flash("Tick the add-ons to change first.", "error")
        return go_to(back)
    active = form.action.data == "activate"
    count = service.set_active(db.session(), current_actor(), ids, active)
    verb = "activated" if active else "deactivated"
    return changed(f"{count} add-on{'s' if count != 1 else ''} {verb}.", back)


@bp.post("/add-ons/<uuid:add_on_id>/features")
def save_feature(add_on_id: uuid.UUID):
    """Map a feature to the add-on, or change a mapping's flag or configuration."""
    add_on = _add_on(add_on_id)
    form = FeatureForm().with_features(queries.feature_choices(db.session()))
    if not form.validate():
        return _form_page(_loaded_form(add_on), add_on, feature_form=form, status=422)
    try:
        features.save_feature(
            db.session(),
            current_actor(),
            add_on_id,
            form.feature_key.data or "",
            enabled=bool(form.enabled.data),
            configuration=form.configuration.parsed,
        )
    except Refused as refused:
        return _form_page(_loaded_form(add_on), add_on, feature_form=form, refused=refused)
    return changed(f"Feature “{form.feature_key.data}” saved.", _features_url(add_on_id))


@bp.post("/add-ons/<uuid:add_on_id>/features/<feature_key>/delete")
def remove_feature(add_on_id: uuid.UUID, feature_key: str):
    """Unmap a feature from the add-on."""
    _add_on(add_on_id)
    try:
        features.remove_feature(db.session(), current_actor(), add_on_id, feature_key)
    except NotFound as missing:
        abort(404, description=missing.message)
    return changed(f"Feature “{feature_key}” removed.", _features_url(add_on_id))


def _add_on(add_on_id: uuid.UUID) -> AddOn:
    add_on = queries.add_on(db.session(), add_on_id)
    if add_on is None:
        abort(404, description="This add-on does not exist (any more).")
    return add_on


def _confirm(add_on: AddOn, change: str, *, refusal: str | None = None, status: int = 200):
    """The confirm step of `change` (deactivate, reactivate, delete), or its refusal."""
    if change == "delete":
        action = url_for(".delete", add_on_id=add_on.id)
    else:
        action = url_for(".change_status", add_on_id=add_on.id, change=change)
    return confirm_page(
        subject=add_on.name,
        change=change,
        action=action,
        back=url_for(".edit", add_on_id=add_on.id),
        explanation=EXPLANATIONS[change],
        refusal=refusal,
        status=status,
    )


def _loaded_form(add_on: AddOn) -> AddOnForm:
    data = add_on_form_data(service.snapshot(add_on))
    return AddOnForm(formdata=None, data={**data, "token": service.edit_token(add_on)})


def _features_url(add_on_id: uuid.UUID) -> str:
    return url_for(".edit", add_on_id=add_on_id, _anchor="features")


def _form_page(
    form: AddOnForm,
    add_on: AddOn | None,
    *,
    feature_form: FeatureForm | None = None,
    refused: Refused | None = None,
    status: int = 422,
) -> Response:
    """The add-on page: its form (with `refused`'s message), and for an existing add-on its
    feature mappings and history."""
    if refused is not None:
        status = show_refusal(feature_form if feature_form is not None else form, refused)
    session = db.session()
    context: dict[str, object] = {"form": form, "add_on": add_on, "refusal": refused}
    if add_on is not None:
        mappings = queries.feature_mappings(session, add_on.id)
        context |= _feature_forms(session, mappings, feature_form)
        context |= {
            "mappings": mappings,
            "entries": history(session, service.OBJECT_TYPE, add_on.id),
        }
    return render("admin/catalog/edit.html", "admin/catalog/_form.html", status=status, **context)


def _feature_forms(
    session: Session, mappings: list[AddOnFeature], posted: FeatureForm | None
) -> dict[str, FeatureForm | None]:
    """The form that maps a new feature, and the posted form of an existing mapping (shown
    with its errors in that mapping's row) if that is what was sent."""
    fresh = FeatureForm(formdata=None).with_features(queries.feature_choices(session))
    if posted is None:
        return {"feature_form": fresh, "row_form": None}
    if posted.feature_key.data in {mapping.feature_key for mapping in mappings}:
        return {"feature_form": fresh, "row_form": posted}
    return {"feature_form": posted, "row_form": None}
