"""Who may call what: each API blueprint's guard, reading the caller once per request.

Public (catalog): anyone. Shopper: a user's token (any role), never a service's. Services: a
service token. Admin: the admin role; support reads only.
"""

from __future__ import annotations

from flask import g, request
from flask_smorest import abort

from marketplace.api import tokens
from marketplace.vocabulary import Role

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CHALLENGE = 'Bearer realm="marketplace"'


def caller() -> tokens.Caller:
    """The authenticated caller of this request (401 problem when there is none)."""
    if "api_caller" not in g:
        try:
            g.api_caller = tokens.authenticate(request.headers.get("Authorization"))
        except tokens.Unauthorized as error:
            challenge = (
                f'{CHALLENGE}, error="invalid_token"'
                if request.headers.get("Authorization")
                else CHALLENGE
            )
            abort(401, message=str(error), headers={"WWW-Authenticate": challenge})
    return g.api_caller


def require_user() -> tokens.Caller:
    """A user's own token: shoppers, and staff shopping for themselves."""
    found = caller()
    if found.is_service:
        _forbidden("A service token cannot act as a user: use the user's own token.")
    return found


def require_service() -> tokens.Caller:
    found = caller()
    if not found.is_service:
        _forbidden("This operation is for platform services (a service token).")
    return found


def require_staff() -> tokens.Caller:
    """Admins for everything; support for reads only."""
    found = caller()
    if found.role is Role.ADMIN:
        return found
    if found.role is Role.SUPPORT and request.method in READ_METHODS:
        return found
    if found.role is Role.SUPPORT:
        _forbidden("Support is read-only: this change needs the admin role.")
    _forbidden("This operation needs the admin role (support may read).")
    return found  # not reached: _forbidden raises


def _forbidden(message: str) -> None:
    abort(
        403,
        message=message,
        headers={"WWW-Authenticate": f'{CHALLENGE}, error="insufficient_scope"'},
    )
