"""Every setting, read from the environment in one place, with its default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = PROJECT_ROOT / "instance"

# Slots and circuit-breaker state of the server's Stripe calls (marketplace/payments/breaker.py).
STRIPE_GUARD_DIR = INSTANCE_PATH / "run" / "stripe-guard"

# The factory refuses to run in production mode with this key.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-secret-key"
# A production SECRET_KEY has at least this many bytes and is none of KNOWN_SECRET_KEYS.
MIN_SECRET_KEY_BYTES = 32
# Keys published somewhere (this project, its tests, Flask's documentation and common
# placeholders): anyone can sign a session cookie with them.
KNOWN_SECRET_KEYS = frozenset(
    {
        DEVELOPMENT_SECRET_KEY,
        "test-secret-key",
        "a-real-production-secret",
        "change-me",
        "changeme",
        "secret",
        "secret-key",
        "dev",
        # The example output of `python -c 'import secrets; print(secrets.token_hex())'`
        # in Flask's documentation.
        "192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf",
    }
)


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str) -> tuple[str, ...]:
    """A comma-separated variable as a tuple of its non-empty, stripped items."""
    return tuple(item.strip() for item in os.environ.get(name, "").split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    """A snapshot of the environment, turned into Flask config keys by `as_flask_config`."""

    env: str
    secret_key: str
    database_url: str | None
    redis_url: str | None
    embedded_db_name: str
    sql_echo: bool
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_admin_role: str = "marketplace-admin"
    oidc_tier_claim: str = "subscription_tier"
    oidc_service_role: str = "marketplace-service"
    api_tokens: tuple[str, ...] = ()
    # No Stripe key selects the offline test-payment provider (refused in production mode).
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str = "https://api.stripe.com"
    # Each Stripe call may hold a worker for connect + read timeout at most; a hanging Stripe
    # is further bounded by a cap on concurrent calls and a circuit breaker shared by the
    # server's processes through files in `stripe_guard_dir`.
    stripe_connect_timeout_seconds: float = 2.0
    stripe_read_timeout_seconds: float = 8.0
    stripe_max_concurrent_calls: int = 2
    stripe_breaker_seconds: float = 30.0
    stripe_guard_dir: str = str(STRIPE_GUARD_DIR)
    lago_api_url: str | None = None
    lago_api_key: str | None = None
    public_base_url: str | None = None
    # Seconds a rendered catalog page is served from memory (0 disables); the cart and
    # checkout re-price from the database, so a stale card never changes what anyone pays.
    catalog_cache_seconds: float = 30.0
    catalog_cache_max_entries: int = 256
    # Rate limits (flask-limiter syntax, "N/second|minute|hour|day"), counted per client IP
    # (and, for promo codes, per shopper too); stored in Redis when REDIS_URL is set.
    sign_in_rate_limit: str = "10/minute"
    promo_rate_limit: str = "10/minute"
    promo_ip_rate_limit: str = "30/minute"
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
    trusted_proxies: int = 0
    # Request bodies are refused (413) past these sizes before they are read: every form
    # (Flask's MAX_CONTENT_LENGTH) and the webhook endpoints (see marketplace.request_guard).
    max_form_bytes: int = 64 * 1024
    max_webhook_bytes: int = 1024 * 1024

    @classmethod
    def from_environ(cls) -> Settings:
        return cls(
            env=os.environ.get("MARKETPLACE_ENV", "development").strip().lower(),
            secret_key=os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY),
            database_url=os.environ.get("DATABASE_URL") or None,
            redis_url=os.environ.get("REDIS_URL") or None,
            embedded_db_name=os.environ.get("EMBEDDED_DB_NAME", "marketplace"),
            sql_echo=_bool("SQL_ECHO", False),
            # The Keycloak realm URL, e.g. https://sso.example.com/realms/platform.
            oidc_issuer=(os.environ.get("OIDC_ISSUER") or "").rstrip("/") or None,
            oidc_client_id=os.environ.get("OIDC_CLIENT_ID") or None,
            oidc_client_secret=os.environ.get("OIDC_CLIENT_SECRET") or None,
            oidc_admin_role=os.environ.get("OIDC_ADMIN_ROLE") or "marketplace-admin",
            oidc_tier_claim=os.environ.get("OIDC_TIER_CLAIM") or "subscription_tier",
            oidc_service_role=os.environ.get("OIDC_SERVICE_ROLE") or "marketplace-service",
            api_tokens=_list("MARKETPLACE_API_TOKENS"),
            stripe_secret_key=os.environ.get("STRIPE_SECRET_KEY") or None,
            stripe_webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET") or None,
            stripe_api_base=os.environ.get("STRIPE_API_BASE") or "https://api.stripe.com",
            stripe_connect_timeout_seconds=float(
                os.environ.get("STRIPE_CONNECT_TIMEOUT_SECONDS") or 2
            ),
            stripe_read_timeout_seconds=float(os.environ.get("STRIPE_READ_TIMEOUT_SECONDS") or 8),
            stripe_max_concurrent_calls=int(os.environ.get("STRIPE_MAX_CONCURRENT_CALLS") or 2),
            stripe_breaker_seconds=float(os.environ.get("STRIPE_BREAKER_SECONDS") or 30),
            stripe_guard_dir=os.environ.get("STRIPE_GUARD_DIR") or str(STRIPE_GUARD_DIR),
            lago_api_url=os.environ.get("LAGO_API_URL") or None,
            lago_api_key=os.environ.get("LAGO_API_KEY") or None,
            public_base_url=(os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
            catalog_cache_seconds=float(os.environ.get("CATALOG_CACHE_SECONDS") or 30),
            catalog_cache_max_entries=int(os.environ.get("CATALOG_CACHE_MAX_ENTRIES") or 256),
            sign_in_rate_limit=os.environ.get("SIGN_IN_RATE_LIMIT") or "10/minute",
            promo_rate_limit=os.environ.get("PROMO_RATE_LIMIT") or "10/minute",
            promo_ip_rate_limit=os.environ.get("PROMO_IP_RATE_LIMIT") or "30/minute",
            trusted_proxies=int(os.environ.get("TRUSTED_PROXIES") or 0),
            max_form_bytes=int(os.environ.get("MAX_FORM_BYTES") or 64 * 1024),
            max_webhook_bytes=int(os.environ.get("MAX_WEBHOOK_BYTES") or 1024 * 1024),
        )

    def as_flask_config(self) -> dict[str, object]:
        return {
            "MARKETPLACE_ENV": self.env,
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": self.database_url,
            "EMBEDDED_DB_NAME": self.embedded_db_name,
            "SQLALCHEMY_ECHO": self.sql_echo,
            "REDIS_URL": self.redis_url,
            "RATELIMIT_STORAGE_URI": self.redis_url or "memory://",
            # A Redis that stops answering costs a request at most a second, then the limits
            # are counted in this process's memory until Redis is back (checked with back-off).
            "RATELIMIT_STORAGE_OPTIONS": (
                {"socket_connect_timeout": 1, "socket_timeout": 1} if self.redis_url else {}
            ),
            "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
            "RATELIMIT_KEY_PREFIX": "marketplace",
            "SIGN_IN_RATE_LIMIT": self.sign_in_rate_limit,
            "PROMO_RATE_LIMIT": self.promo_rate_limit,
            "PROMO_IP_RATE_LIMIT": self.promo_ip_rate_limit,
            "TRUSTED_PROXIES": self.trusted_proxies,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.env == "production",
            "WTF_CSRF_TIME_LIMIT": None,
            "OIDC_ISSUER": self.oidc_issuer,
            "OIDC_CLIENT_ID": self.oidc_client_id,
            "OIDC_CLIENT_SECRET": self.oidc_client_secret,
            "OIDC_ADMIN_ROLE": self.oidc_admin_role,
            "OIDC_TIER_CLAIM": self.oidc_tier_claim,
            "OIDC_SERVICE_ROLE": self.oidc_service_role,
            "MARKETPLACE_API_TOKENS": self.api_tokens,
            "STRIPE_SECRET_KEY": self.stripe_secret_key,
            "STRIPE_WEBHOOK_SECRET": self.stripe_webhook_secret,
            "STRIPE_API_BASE": self.stripe_api_base,
            "STRIPE_CONNECT_TIMEOUT_SECONDS": self.stripe_connect_timeout_seconds,
            "STRIPE_READ_TIMEOUT_SECONDS": self.stripe_read_timeout_seconds,
            "STRIPE_MAX_CONCURRENT_CALLS": self.stripe_max_concurrent_calls,
            "STRIPE_BREAKER_SECONDS": self.stripe_breaker_seconds,
            "STRIPE_GUARD_DIR": self.stripe_guard_dir,
            "LAGO_API_URL": self.lago_api_url,
            "LAGO_API_KEY": self.lago_api_key,
            "PUBLIC_BASE_URL": self.public_base_url,
            "CATALOG_CACHE_SECONDS": self.catalog_cache_seconds,
            "CATALOG_CACHE_MAX_ENTRIES": self.catalog_cache_max_entries,
            "MAX_CONTENT_LENGTH": self.max_form_bytes,
            "MAX_WEBHOOK_BYTES": self.max_webhook_bytes,
        }


def production_problems(config: Mapping[str, Any]) -> list[str]:
    """Name what production mode is missing: OIDC, Stripe (never the offline test payments),
    Redis for the rate limits and a strong secret key."""
    if config.get("MARKETPLACE_ENV") != "production":
        return []
    required = (
        "OIDC_ISSUER",
        "OIDC_CLIENT_ID",
        "OIDC_CLIENT_SECRET",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "REDIS_URL",
    )
    missing = [name for name in required if not config.get(name)]
    key_problem = secret_key_problem(config.get("SECRET_KEY"))
    if key_problem:
        missing.append(key_problem)
    return missing


def secret_key_problem(key: str | bytes | None) -> str | None:
    """Say why `key` can't sign production sessions (too short, or published), else None.

    The message names the rule and the key's length, never the key.
    """
    rule = f"a SECRET_KEY of at least {MIN_SECRET_KEY_BYTES} random bytes"
    if not key:
        return f"{rule} (none is set)"
    raw = key.encode() if isinstance(key, str) else bytes(key)
    if (key.decode(errors="replace") if isinstance(key, bytes) else key) in KNOWN_SECRET_KEYS:
        return f"{rule} (this one is a published default)"
    if len(raw) < MIN_SECRET_KEY_BYTES:
        return f"{rule} (this one has {len(raw)})"
    return None
