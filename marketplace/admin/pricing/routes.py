"""Pricing rule admin pages under `/admin/pricing`: the list, and a rule's form with the price
each tier pays for its add-on."""

from __future__ import annotations

import uuid
from typing import TypeVar

from flask import Blueprint, abort, request, url_for
from werkzeug.wrappers import Response

from marketplace.admin import choices
from marketplace.admin.access import current_actor
from marketplace.admin.audit.queries import history
from marketplace.admin.changes import Refused
from marketplace.admin.forms import show_refusal
from marketplace.admin.pricing import queries, service
from marketplace.admin.pricing.forms import RuleForm, RuleQuery, rule_form_data
from marketplace.admin.views import changed, list_page
from marketplace.extensions import db
from marketplace.models import AddOn, PricingRule
from marketplace.rendering import render

bp = Blueprint("pricing", __name__, url_prefix="/pricing")
F = TypeVar("F", RuleForm, RuleQuery)


@bp.get("/")
def index():
    """List rules: filter by add-on, tier and status; keyset pages, newest first."""
    form = _with_choices(RuleQuery(request.args))
    return list_page(
        form,
        lambda cursor: queries.rule_list(db.session(), form.filters(), cursor),
        page="admin/pricing/index.html",
        partial="admin/pricing/_list.html",
        what="rule list",
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Show the empty rule form (`?add_on=` preselects one); create the rule it sends."""
    if request.method == "GET":
        form = _with_choices(
            RuleForm(formdata=None, data={"add_on_id": request.args.get("add_on")})
        )
        return _form_page(form, None, status=200)
    form = _with_choices(RuleForm())
    if not form.validate():
        return _form_page(form, None, status=422)
    try:
        rule = service.create_rule(db.session(), current_actor(), form.data_for_service())
    except Refused as refused:
        return _form_page(form, None, refused=refused)
    return changed("The pricing rule was created.", url_for(".edit", rule_id=rule.id))


@bp.route("/<uuid:rule_id>", methods=["GET", "POST"])
def edit(rule_id: uuid.UUID):
    """Show a rule's form, its add-on's price per tier and its history; save the form."""
    rule = _rule(rule_id)
    if request.method == "GET":
        form = _with_choices(RuleForm(formdata=None, data=rule_form_data(rule)), rule)
        return _form_page(form, rule, status=200)
    form = _with_choices(RuleForm(), rule)
    if not form.validate():
        return _form_page(form, rule, status=422)
    try:
        service.update_rule(
            db.session(), current_actor(), rule_id, form.data_for_service(), form.token.data or ""
        )
    except Refused as refused:
        return _form_page(form, rule, refused=refused)
    return changed("The pricing rule was saved.", url_for(".edit", rule_id=rule_id))


def _rule(rule_id: uuid.UUID) -> PricingRule:
    rule = queries.rule(db.session(), rule_id)
    if rule is None:
        abort(404, description="This pricing rule does not exist (any more).")
    return rule


def _with_choices(form: F, rule: PricingRule | None = None) -> F:
    session = db.session()
    keep = [rule.add_on_id] if rule else []
    return form.with_choices(
        choices.add_on_choices(session, keep, every=True), choices.tier_choices(session)
    )


def _form_page(
    form: RuleForm, rule: PricingRule | None, *, refused: Refused | None = None, status: int = 422
) -> Response:
    """The rule page: its form (with `refused`'s message), the price per tier, its history."""
    if refused is not None:
        status = show_refusal(form, refused)
    session = db.session()
    add_on = session.get(AddOn, rule.add_on_id) if rule else None
    return render(
        "admin/pricing/edit.html",
        "admin/pricing/_form.html",
        status=status,
        form=form,
        rule=rule,
        refusal=refused,
        add_on=add_on,
        prices=service.tier_prices(session, add_on) if add_on else [],
        entries=history(session, service.OBJECT_TYPE, rule.id) if rule else [],
    )
