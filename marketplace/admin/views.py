"""View helpers every admin area shares: the confirm step of a change, and what follows a
saved change."""

from __future__ import annotations

from flask import flash
from werkzeug.wrappers import Response
from wtforms import Form

from marketplace.catalog.cache import catalog_changed
from marketplace.rendering import go_to, render


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
