"""The sign-in guard for pages: send a shopper to sign in, and back here afterwards."""

from __future__ import annotations

from functools import wraps

from flask import request, url_for

from marketplace.rendering import go_to
from marketplace.shopper import current_shopper


def sign_in_redirect():
    """Send the shopper to sign in and back here; htmx requests navigate the whole page."""
    here = request.full_path if request.query_string else request.path
    target = url_for("auth.login", next=here)
    return go_to(target, htmx_status=401, status=303 if request.method != "GET" else 302)


def login_required(view):
    """Run the view only for a signed-in shopper; others are sent to sign in."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_shopper().is_signed_in:
            return sign_in_redirect()
        return view(*args, **kwargs)

    return guarded
