"""A local OpenID Connect provider speaking Keycloak's HTTP API, for tests.

Discovery, an auto-approving /authorize that remembers the nonce and PKCE challenge, a /token
endpoint that checks client credentials and the PKCE verifier and returns RS256-signed ID and
access tokens, /jwks and /logout. `tamper` changes what the next tokens look like, so tests
can send a forged signature, a wrong issuer or audience, or an expired token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "marketplace"
CLIENT_SECRET = "marketplace-secret"
REALM_PATH = "/realms/platform"
KEY_ID = "realm-key-1"


def new_key(kid: str = KEY_ID) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})


@dataclass
class User:
    sub: str = "kc-user-1"
    name: str = "Ada Lovelace"
    email: str | None = "ada@example.test"
    tier: str | None = "pro"
    roles: tuple[str, ...] = ("offline_access", "marketplace-admin")


@dataclass
class FakeKeycloak:
    key: RSAKey
    forged_key: RSAKey
    base_url: str = ""
    user: User = field(default_factory=User)
    # {"id_token": {claim: value}, "access_token": {...}, "sign_id_token_with": key, ...}
    tamper: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    logouts: list[dict[str, str]] = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return self.base_url + REALM_PATH

    def reset(self) -> None:
        self.user = User()
        self.tamper = {}
        self.codes.clear()
        self.authorize_requests.clear()
        self.token_requests.clear()
        self.logouts.clear()

    # Tokens ---------------------------------------------------------------------------------

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None) -> str:
        key = key or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)

    def access_token(
        self,
        *,
        sub: str | None = None,
        roles: tuple[str, ...] | None = None,
        key: RSAKey | None = None,
        **overrides: Any,
    ) -> str:
        """A Keycloak-shaped access token (aud "account", azp the client, realm roles)."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": sub or self.user.sub,
            "aud": "account",
            "azp": CLIENT_ID,
            "typ": "Bearer",
            "iat": now,
            "exp": now + 300,
            "realm_access": {"roles": list(self.user.roles if roles is None else roles)},
            "scope": "openid profile email",
        }
        if self.user.tier:
            claims["subscription_tier"] = self.user.tier
        if self.user.email:
            claims.update(email=self.user.email, email_verified=True)
        claims.update(overrides)
        return self.sign(claims, key)

    def id_token(self, nonce: str | None, key: RSAKey | None = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": self.user.sub,
            "aud": CLIENT_ID,
            "azp": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            "name": self.user.name,
            "preferred_username": self.user.sub,
        }
        if nonce:
            claims["nonce"] = nonce
        if self.user.tier:
            claims["subscription_tier"] = self.user.tier
        if self.user.email:
            claims.update(email=self.user.email, email_verified=True)
        claims.update(overrides)
        return self.sign(claims, key)

    def token_response(self, grant: dict[str, Any]) -> dict[str, Any]:
        id_claims = dict(self.tamper.get("id_token", {}))
        access_claims = dict(self.tamper.get("access_token", {}))
        nonce = id_claims.pop("nonce", grant.get("nonce"))
        return {
            "access_token": self.access_token(
                key=self.tamper.get("sign_access_token_with"), **access_claims
            ),
            "id_token": self.id_token(
                nonce, key=self.tamper.get("sign_id_token_with"), **id_claims
            ),
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "openid profile email",
        }

    # HTTP -----------------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        base = self.issuer + "/protocol/openid-connect"
        return {
            "issuer": self.issuer,
            "authorization_endpoint": base + "/auth",
            "token_endpoint": base + "/token",
            "jwks_uri": base + "/certs",
            "end_session_endpoint": base + "/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict[str, Any]:
        return KeySet([self.key]).as_dict(private=False)


def _handler(provider: FakeKeycloak):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the base class's signature
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            path = url.path.removeprefix(REALM_PATH)
            if path == "/.well-known/openid-configuration":
                return self._json(200, provider.discovery())
            if path == "/protocol/openid-connect/certs":
                return self._json(200, provider.jwks())
            if path == "/protocol/openid-connect/auth":
                provider.authorize_requests.append(query)
                code = secrets.token_urlsafe(16)
                provider.codes[code] = query
                target = (
                    query["redirect_uri"]
                    + "?"
                    + urlencode({"code": code, "state": query.get("state", "")})
                )
                self.send_response(302)
                self.send_header("Location", target)
                self.end_headers()
                return None
            if path == "/protocol/openid-connect/logout":
                provider.logouts.append(query)
                return self._json(200, {"logged_out": True})
            return self._json(404, {"error": "not_found"})

        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path).path != REALM_PATH + "/protocol/openid-connect/token":
                return self._json(404, {"error": "not_found"})
            provider.token_requests.append(form)
            client_id, secret = _client_credentials(self.headers.get("Authorization"), form)
            if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
                return self._json(401, {"error": "invalid_client"})
            grant = provider.codes.pop(form.get("code", ""), None)
            if grant is None or grant.get("redirect_uri") != form.get("redirect_uri"):
                return self._json(400, {"error": "invalid_grant", "error_description": "bad code"})
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            if grant.get("code_challenge_method") != "S256" or challenge.rstrip(
                b"="
            ).decode() != grant.get("code_challenge"):
                return self._json(
                    400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
                )
            return self._json(200, provider.token_response(grant))

    return Handler


def _client_credentials(authorization: str | None, form: dict[str, str]) -> tuple[str, str]:
    if authorization and authorization.lower().startswith("basic "):
        decoded = base64.b64decode(authorization[6:]).decode()
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


def start() -> tuple[FakeKeycloak, ThreadingHTTPServer]:
    provider = FakeKeycloak(key=new_key(), forged_key=new_key())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    server.daemon_threads = True
    provider.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="fake-keycloak", daemon=True).start()
    return provider, server
