"""Guards for pages: sign-in (and back here afterwards), and features a page needs."""

from __future__ import annotations

from functools import wraps

from flask import abort, request, url_for

from marketplace.current import current_shopper
from marketplace.entitlements import has_feature
from marketplace.extensions import db
from marketplace.rendering import go_to


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


def requires_feature(key: str):
    """Let a view run only for a signed-in user who has feature `key`.

    Anonymous shoppers are sent to sign in; others get a 403 page saying what is missing.
    """

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            shopper = current_shopper().signed_in()
            if shopper is None:
                return sign_in_redirect()
            if not has_feature(db.session(), shopper.user_id, key):
                abort(
                    403,
                    description=(
                        f"This page needs the “{key}” feature, which none of your active "
                        "add-ons includes. Browse the add-ons to get it."
                    ),
                )
            return view(*args, **kwargs)

        return guarded

    return decorate
