"""Bearer tokens for the API: a Keycloak access token with the service role, or a static token.

Static tokens (`MARKETPLACE_API_TOKENS`) are for development and trusted services; they are
compared in constant time against every configured token.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import requests
from flask import current_app

from marketplace.auth import oidc


class Unauthorized(Exception):
    """No usable credentials: answer 401 with a `WWW-Authenticate` challenge."""


class Forbidden(Exception):
    """A valid token without the service role: answer 403."""


@dataclass(frozen=True)
class Caller:
    """Who called: `subject` is the token's `sub` (or "static-token")."""

    subject: str
    kind: str


def authenticate(authorization: str | None) -> Caller:
    """Return the caller of a request with this `Authorization` header, or raise."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("A bearer token is required.")
    if _is_static_token(token):
        return Caller(subject="static-token", kind="static")
    if not oidc.is_configured():
        raise Unauthorized("The bearer token is not valid.")
    try:
        claims = oidc.verify_access_token(token)
    except oidc.TokenRejected as error:
        raise Unauthorized(f"The bearer token is not valid: {error}.") from None
    except (requests.RequestException, ValueError):
        current_app.logger.warning("JWKS fetch failed while checking an API token", exc_info=True)
        raise Unauthorized("The bearer token could not be checked right now.") from None
    role = current_app.config["OIDC_SERVICE_ROLE"]
    if role not in oidc.realm_roles(claims):
        raise Forbidden(f"The token lacks the realm role {role!r}.")
    return Caller(subject=str(claims.get("sub")), kind="oidc")


def _is_static_token(token: str) -> bool:
    given = token.encode()
    matched = False
    for configured in current_app.config.get("MARKETPLACE_API_TOKENS") or ():
        # No early exit: the time taken does not tell which token came close.
        matched |= hmac.compare_digest(given, configured.encode())
    return matched
