"""View helpers every admin area shares: a filtered list page, the confirm step of a change,
and what follows a saved change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from flask import abort, flash
from werkzeug.wrappers import Response
from wtforms import Form

from marketplace.admin.forms import first_error
from marketplace.catalog.cache import catalog_changed
from marketplace.rendering import go_to, render


class ListQuery(Protocol):
    """A list's filter form: its filters, the cursor of the page asked for, its URL args."""

    def validate(self) -> bool: ...
    def cursor(self) -> Any: ...
    def args(self) -> dict[str, str]: ...


def list_page(
    form: ListQuery,
    read: Callable[[Any], Any],
    *,
    page: str,
    partial: str,
    what: str,
    more: Callable[[Any], dict[str, Any]] = lambda results: {},
) -> Response:
    """One keyset page of an admin list (`partial` alone for htmx): filters the form refuses
    and a cursor it cannot parse are 400s (`what` names the list), else `read(cursor)`'s page,
    rendered with whatever `more(page)` adds."""
    if not form.validate():
        abort(400, description=first_error(form))  # type: ignore[arg-type]
    try:
        cursor = form.cursor()
    except (ValueError, ArithmeticError):
        abort(400, description=f"Page: this link is not one the {what} made.")
    results = read(cursor)
    return render(page, partial, form=form, results=results, args=form.args(), **more(results))


def confirm_page(
    *,
    subject: str,
    change: str,
    action: str,
    back: str,
    explanation: str,
    refusal: str | None = None,
    status: int = 200,
    form: Form | None = None,
) -> Response:
    """Ask before `change` (deactivate, reactivate, delete…) of `subject`: a form posting to
    `action`; with `refusal`, why the change was refused. `form`: fields the step sends too
    (an edit token, a reason); with it htmx posts the step and swaps it in place."""
    return render(
        "admin/confirm.html",
        "admin/_confirm.html",
        status=status,
        subject=subject,
        change=change,
        action=action,
        back=back,
        explanation=explanation,
        refusal=refusal,
        form=form,
    )


def changed(message: str, url: str) -> Response:
    """After a change the shop shows: tell the admin, refresh this process's catalog version,
    go on to `url`."""
    catalog_changed()
    flash(message, "success")
    return go_to(url)


def saved(message: str, url: str) -> Response:
    """After a change the shop's pages do not show (promo codes): tell the admin, go on."""
    flash(message, "success")
    return go_to(url)
