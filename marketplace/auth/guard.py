"""The sign-in guard for pages, and where to send a shopper back after signing in."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import make_response, redirect, request, url_for

from marketplace.shopper import current_shopper


def safe_next(target: str | None, default: str = "/") -> str:
    """Return `target` if it is a path on this site, else `default` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(char) < 32 or char == "\\" for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def sign_in_redirect():
    """Send the shopper to sign in and back here; htmx requests navigate the whole page."""
    here = request.full_path if request.query_string else request.path
    target = url_for("auth.login", next=here)
    if getattr(request, "htmx", False):
        response = make_response("", 401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303 if request.method != "GET" else 302)


def login_required(view):
    """Run the view only for a signed-in shopper; others are sent to sign in."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_shopper().is_signed_in:
            return sign_in_redirect()
        return view(*args, **kwargs)

    return guarded
