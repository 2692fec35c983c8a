"""The Keycloak client: Authlib's Flask OAuth registry, one per app, and token verification.

The authorization code flow (PKCE S256, state, nonce, ID token checks) is Authlib's. Access
tokens are Keycloak JWTs: `verify_access_token` checks them against the realm's JWKS, so
roles are read only from a token the realm signed for this client.
"""

from __future__ import annotations

from typing import Any, cast

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet, KeySetSerialization
from joserfc.jws import JWSRegistry

CLIENT_NAME = "keycloak"
EXTENSION = "marketplace.oidc"
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256"]
# Clock skew tolerated on exp/nbf/iat, in seconds.
LEEWAY = 30
HTTP_TIMEOUT = 10


class TokenRejected(Exception):
    """A token that is not a valid access token of this realm for this client."""


def init_app(app: Flask) -> None:
    """Register the Keycloak client when `OIDC_ISSUER` is set (endpoints from discovery)."""
    issuer = app.config.get("OIDC_ISSUER")
    if not issuer:
        return
    oauth = OAuth(app)
    oauth.register(
        CLIENT_NAME,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid profile email",
            "code_challenge_method": "S256",
            "default_timeout": HTTP_TIMEOUT,
        },
    )
    app.extensions[EXTENSION] = oauth


def is_configured() -> bool:
    return EXTENSION in current_app.extensions


def client():
    """The app's Keycloak client (only when `is_configured()`)."""
    return current_app.extensions[EXTENSION].create_client(CLIENT_NAME)


def issuer() -> str:
    return current_app.config["OIDC_ISSUER"].rstrip("/")


def id_token_claims_options() -> dict[str, dict[str, Any]]:
    """What Authlib checks in the ID token besides signature, nonce and expiry."""
    return {
        "iss": {"essential": True, "value": issuer()},
        "aud": {"essential": True, "values": [current_app.config["OIDC_CLIENT_ID"]]},
    }


def verify_access_token(token: str) -> dict[str, Any]:
    """Return the claims of a Keycloak access token signed by the realm, for this client.

    Checks the signature against the realm's JWKS (fetched again once for an unknown key id,
    as after a key rotation), the issuer, expiry, and that this client is the audience or the
    authorized party (`azp`). Raises `TokenRejected` with the reason.
    """
    keycloak = client()
    try:
        decoded = _decode(token, keycloak.fetch_jwk_set())
    except InvalidKeyIdError:
        try:
            decoded = _decode(token, keycloak.fetch_jwk_set(force=True))
        except InvalidKeyIdError:
            raise TokenRejected(describe(InvalidKeyIdError())) from None
    claims = decoded.claims
    try:
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": issuer()},
            exp={"essential": True},
            sub={"essential": True},
        ).validate(claims)
    except JoseError as error:
        raise TokenRejected(describe(error)) from None
    client_id = current_app.config["OIDC_CLIENT_ID"]
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences and claims.get("azp") != client_id:
        raise TokenRejected(CLAIM_PROBLEMS["aud"])
    return claims


def realm_roles(claims: dict[str, Any]) -> frozenset[str]:
    """The realm roles of a Keycloak access token (`realm_access.roles`)."""
    roles = (claims.get("realm_access") or {}).get("roles") or []
    return frozenset(role for role in roles if isinstance(role, str))


def _decode(token: str, jwks: dict[str, Any]):
    try:
        return jwt.decode(
            token,
            # Authlib hands the realm's JWKS over as plain JSON; joserfc types it as a TypedDict.
            KeySet.import_key_set(cast(KeySetSerialization, jwks)),
            registry=JWSRegistry(algorithms=ALGORITHMS, strict_check_header=False),
        )
    except InvalidKeyIdError:
        raise
    except (JoseError, ValueError) as error:
        raise TokenRejected(describe(error)) from None


CLAIM_PROBLEMS = {
    "iss": "it was issued by another sign-in service",
    "aud": "it was issued for another application",
    "azp": "it was issued for another application",
    "nonce": "it doesn't belong to this sign-in attempt",
    "sub": "it names no user",
}


def describe(error: Exception) -> str:
    """Say in plain words why a token was refused."""
    if isinstance(error, TokenRejected):
        return str(error)
    if isinstance(error, ExpiredTokenError):
        return "it has expired"
    if isinstance(error, BadSignatureError):
        return "its signature doesn't match the sign-in service's keys"
    if isinstance(error, InvalidKeyIdError):
        return "it was signed with a key the sign-in service does not have"
    if isinstance(error, MissingClaimError):
        return f"it lacks the {error.claim!r} claim"
    if isinstance(error, ClaimError):
        return CLAIM_PROBLEMS.get(error.claim, f"its {error.claim!r} claim is wrong")
    if isinstance(error, JoseError):
        return "it isn't a valid signed token"
    return str(error) or "it isn't a valid token"
