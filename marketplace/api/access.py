"""Who may call what: each API blueprint's guard, reading the caller once per request.

Public (catalog): anyone. Shopper: a user's token (any role), never a service's. Services: a
service token. Admin: the roles the admin pages' table gives each area (marketplace/admin/
areas.py); support reads only.
"""

from __future__ import annotations

from typing import NoReturn

from flask import current_app, request

from marketplace.admin import areas
from marketplace.api import tokens
from marketplace.api.problems import refuse

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


def require_staff(area_key: str) -> tokens.Caller:
    """Staff whose role may open the admin area `area_key` (the admin pages' one role table,
    marketplace/admin/areas.py); support only reads."""
    found = caller()
    area = areas.BY_KEY[area_key]
    if found.role is None or not areas.may_open(area, found.role):
        roles = " or ".join(sorted(role.value for role in area.roles))
        _forbidden(f"The {area.label} area is for the {roles} role.")
    if not areas.may_change(found.role, request.method):
        _forbidden("Support is read-only: this change needs the admin role.")
    return found


def _forbidden(message: str) -> NoReturn:
    refuse(
        403,
        message=message,
        headers={"WWW-Authenticate": f'{CHALLENGE}, error="insufficient_scope"'},
    )
