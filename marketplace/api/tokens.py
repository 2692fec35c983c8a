"""Bearer tokens for the API, and who they name.

- A user's Keycloak access token (issuer, audience or `azp`, expiry and signature checked):
  a shopper, or staff by realm role (admin, support). A token carrying the service role is a
  service, never a user: it cannot read or change anyone's cart or orders.
- A static token (`MARKETPLACE_API_TOKENS`): a trusted service, compared in constant time.
- In development (no OIDC configured, not production): `dev:<role>:<user id>`, e.g.
  `dev:shopper:alice`, `dev:admin:ops`, `dev:service:billing` — the API's development sign-in.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import requests
from flask import current_app

from marketplace.auth import oidc
from marketplace.auth.service import role_from
from marketplace.shopper import SignedInShopper
from marketplace.vocabulary import Role

DEV_PREFIX = "dev:"
SERVICE = "service"


class Unauthorized(Exception):
    """No usable credentials: answer 401 with a `WWW-Authenticate` challenge."""


class Forbidden(Exception):
    """A valid token that may not do this: answer 403."""


@dataclass(frozen=True)
class Caller:
    """Who called: `subject` is the token's `sub` (a user id), or "static-token".

    `role` is the user's role; None for a service.
    """

    subject: str
    kind: str  # "oidc", "static" or "development"
    role: Role | None
    tier: str | None = None

    @property
    def is_service(self) -> bool:
        return self.role is None

    def shopper(self) -> SignedInShopper:
        """The caller as the shop's services know a signed-in user; Forbidden for a service."""
        if self.role is None:
            raise Forbidden("A service token cannot act as a user: use the user's own token.")
        return SignedInShopper(
            user_id=self.subject, tier=self.tier, anonymous_id=None, role=self.role
        )


def authenticate(authorization: str | None) -> Caller:
    """Return the caller of a request with this `Authorization` header, or raise Unauthorized."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("A bearer token is required.")
    if _is_static_token(token):
        return Caller(subject="static-token", kind="static", role=None)
    if token.startswith(DEV_PREFIX) and development_tokens_enabled():
        return _development_caller(token)
    if not oidc.is_configured():
        raise Unauthorized("The bearer token is not valid.")
    try:
        claims = oidc.verify_access_token(token)
    except oidc.TokenRejected as error:
        raise Unauthorized(f"The bearer token is not valid: {error}.") from None
    except (requests.RequestException, ValueError):
        current_app.logger.warning("JWKS fetch failed while checking an API token", exc_info=True)
        raise Unauthorized("The bearer token could not be checked right now.") from None
    config = current_app.config
    roles = oidc.realm_roles(claims)
    subject = str(claims.get("sub"))
    if config["OIDC_SERVICE_ROLE"] in roles:
        return Caller(subject=subject, kind="oidc", role=None)
    role = role_from(roles, admin=config["OIDC_ADMIN_ROLE"], support=config["OIDC_SUPPORT_ROLE"])
    tier = claims.get(config["OIDC_TIER_CLAIM"])
    return Caller(
        subject=subject, kind="oidc", role=role, tier=tier if isinstance(tier, str) else None
    )


def development_tokens_enabled() -> bool:
    """Like the development sign-in form: only without OIDC, and never in production."""
    return not oidc.is_configured() and current_app.config["MARKETPLACE_ENV"] != "production"


def _development_caller(token: str) -> Caller:
    kind, _, user_id = token.removeprefix(DEV_PREFIX).partition(":")
    if not user_id or len(user_id) > 255:
        raise Unauthorized("A development token is dev:<shopper|support|admin|service>:<user id>.")
    if kind == SERVICE:
        return Caller(subject=user_id, kind="development", role=None)
    try:
        return Caller(subject=user_id, kind="development", role=Role(kind))
    except ValueError:
        raise Unauthorized(
            "A development token is dev:<shopper|support|admin|service>:<user id>."
        ) from None


def _is_static_token(token: str) -> bool:
    given = token.encode()
    matched = False
    for configured in current_app.config.get("MARKETPLACE_API_TOKENS") or ():
        # No early exit: the time taken does not tell which token came close.
        matched |= hmac.compare_digest(given, configured.encode())
    return matched
