"""Who may call what: each API blueprint's guard, reading the caller once per request.

Public (catalog): anyone. Shopper: a user's token (any role), never a service's. Services: a
service token. Admin: the admin role; support reads only.
"""

from __future__ import annotations

from typing import NoReturn

from flask import current_app, request

from marketplace.api import tokens
from marketplace.api.problems import refuse
from marketplace.vocabulary import Role

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CHALLENGE = 'Bearer realm="marketplace"'
# Kept on the request itself: `g` lives as long as the app context, which may span requests.
CALLER_KEY = "marketplace.api.caller"


def caller() -> tokens.Caller:
    """The authenticated caller of this request (401 problem when there is none)."""
    if CALLER_KEY not in request.environ:
        try:
            request.environ[CALLER_KEY] = tokens.authenticate(request.headers.get("Authorization"))
        except tokens.Unauthorized as error:
            challenge = (
                f'{CHALLENGE}, error="invalid_token"'
                if request.headers.get("Authorization")
                else CHALLENGE
            )
            refuse(401, str(error), headers={"WWW-Authenticate": challenge})
    return request.environ[CALLER_KEY]


def require_user() -> tokens.Caller:
    """A user's own token: shoppers, and staff shopping for themselves."""
    found = caller()
    if found.is_service:
        _forbidden("A service token cannot act as a user: use the user's own token.")
    return found


def require_service() -> tokens.Caller:
    found = caller()
    if not found.is_service:
        role = current_app.config["OIDC_SERVICE_ROLE"]
        _forbidden(f"This operation is for platform services: a token with the role {role!r}.")
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


def _forbidden(message: str) -> NoReturn:
    refuse(
        403,
        message=message,
        headers={"WWW-Authenticate": f'{CHALLENGE}, error="insufficient_scope"'},
    )
