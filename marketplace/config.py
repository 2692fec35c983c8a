"""Every setting, read from the environment in one place, with its default."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = PROJECT_ROOT / "instance"

# Slots and circuit-breaker state of the server's Stripe calls (marketplace/payments/breaker.py).
STRIPE_GUARD_DIR = INSTANCE_PATH / "run" / "stripe-guard"
# Without MAIL_SERVER (never in production) each e-mail is written here as an .eml file.
MAIL_FILE_DIR = INSTANCE_PATH / "mail"

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


def _flag(raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _items(raw: str) -> tuple[str, ...]:
    """A comma-separated value as a tuple of its non-empty, stripped items."""
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _base_url(raw: str) -> str | None:
    return raw.rstrip("/") or None


def _word(raw: str) -> str:
    return raw.strip().lower()


def setting(env: str, default: Any, parse: Callable[[str], Any] = str, *, key: str = "") -> Any:
    """Declare one setting: read from `env` (unset or empty: `default`), parsed by `parse`, and
    given to Flask as `key` (the variable's own name unless Flask knows it by another)."""
    return field(default=default, metadata={"env": env, "parse": parse, "key": key or env})


@dataclass(frozen=True)
class Settings:
    """Every setting: its environment variable, its default and its Flask config key, once.

    `from_environ` reads them and `as_flask_config` hands them to Flask; the README's
    Configuration table documents each variable (a test holds the two together).
    """

    env: str = setting("MARKETPLACE_ENV", "development", _word)
    secret_key: str = setting("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    database_url: str | None = setting("DATABASE_URL", None)
    redis_url: str | None = setting("REDIS_URL", None)
    embedded_db_name: str = setting("EMBEDDED_DB_NAME", "marketplace")
    sql_echo: bool = setting("SQL_ECHO", False, _flag, key="SQLALCHEMY_ECHO")
    # The Keycloak realm URL, e.g. https://sso.example.com/realms/platform.
    oidc_issuer: str | None = setting("OIDC_ISSUER", None, _base_url)
    oidc_client_id: str | None = setting("OIDC_CLIENT_ID", None)
    oidc_client_secret: str | None = setting("OIDC_CLIENT_SECRET", None)
    oidc_admin_role: str = setting("OIDC_ADMIN_ROLE", "marketplace-admin")
    oidc_support_role: str = setting("OIDC_SUPPORT_ROLE", "marketplace-support")
    oidc_tier_claim: str = setting("OIDC_TIER_CLAIM", "subscription_tier")
    oidc_service_role: str = setting("OIDC_SERVICE_ROLE", "marketplace-service")
    api_tokens: tuple[str, ...] = setting("MARKETPLACE_API_TOKENS", (), _items)
    # Browser origins allowed to call /api (CORS), e.g. https://console.example.com; none: no
    # cross-origin browser calls.
    api_cors_origins: tuple[str, ...] = setting("API_CORS_ORIGINS", (), _items)
    # Requests per bearer token (or per client IP without one) to /api.
    api_rate_limit: str = setting("API_RATE_LIMIT", "600/minute")
    # No Stripe key selects the offline test-payment provider (refused in production mode).
    stripe_secret_key: str | None = setting("STRIPE_SECRET_KEY", None)
    stripe_webhook_secret: str | None = setting("STRIPE_WEBHOOK_SECRET", None)
    stripe_api_base: str = setting("STRIPE_API_BASE", "https://api.stripe.com")
    # Stripe Tax computes the tax of each Checkout Session (the prices are before tax).
    stripe_automatic_tax: bool = setting("STRIPE_AUTOMATIC_TAX", False, _flag)
    # Each Stripe call may hold a worker for connect + read timeout at most; a hanging Stripe
    # is further bounded by a cap on concurrent calls and a circuit breaker shared by the
    # server's processes through files in `stripe_guard_dir` (marketplace/payments/breaker.py).
    stripe_connect_timeout_seconds: float = setting("STRIPE_CONNECT_TIMEOUT_SECONDS", 2.0, float)
    stripe_read_timeout_seconds: float = setting("STRIPE_READ_TIMEOUT_SECONDS", 8.0, float)
    stripe_max_concurrent_calls: int = setting("STRIPE_MAX_CONCURRENT_CALLS", 2, int)
    # 0: a call finding every slot taken is refused at once. Waiting holds a sync worker: while
    # Stripe hangs, 10 checkouts waiting 1 s each took the catalog's p99 to 2 s (bench-faults).
    stripe_slot_wait_seconds: float = setting("STRIPE_SLOT_WAIT_SECONDS", 0.0, float)
    stripe_breaker_seconds: float = setting("STRIPE_BREAKER_SECONDS", 30.0, float)
    stripe_guard_dir: str = setting("STRIPE_GUARD_DIR", str(STRIPE_GUARD_DIR))
    lago_api_url: str | None = setting("LAGO_API_URL", None)
    lago_api_key: str | None = setting("LAGO_API_KEY", None)
    public_base_url: str | None = setting("PUBLIC_BASE_URL", None, _base_url)
    # Transactional e-mail over SMTP (the Flask-Mail names); no MAIL_SERVER (never in production)
    # writes each message as an .eml file under `mail_file_dir` instead.
    mail_server: str | None = setting("MAIL_SERVER", None)
    mail_port: int = setting("MAIL_PORT", 25, int)
    mail_username: str | None = setting("MAIL_USERNAME", None)
    mail_password: str | None = setting("MAIL_PASSWORD", None)
    mail_use_tls: bool = setting("MAIL_USE_TLS", False, _flag)
    mail_default_sender: str = setting(
        "MAIL_DEFAULT_SENDER", "Extensions Marketplace <no-reply@marketplace.localhost>"
    )
    # An SMTP server that stops answering holds the outbox runner at most this long per step.
    mail_timeout_seconds: float = setting("MAIL_TIMEOUT_SECONDS", 10.0, float)
    mail_file_dir: str = setting("MAIL_FILE_DIR", str(MAIL_FILE_DIR))
    # Outgoing events (marketplace/events): a receiver is given this long to answer one
    # delivery; up to `webhook_lanes` endpoints are sent to at once, one lane each, so a slow
    # one holds only its own lane.
    webhook_timeout_seconds: float = setting("WEBHOOK_TIMEOUT_SECONDS", 5.0, float)
    webhook_lanes: int = setting("WEBHOOK_LANES", 8, int)
    # May an admin point an endpoint at a private, loopback or link-local address? Unset: yes
    # outside production (a local receiver), no in production (SSRF into the network).
    webhook_allow_private_urls: bool | None = setting("WEBHOOK_ALLOW_PRIVATE_URLS", None, _flag)
    # Who sells, as receipts name them (set the real ones in production).
    seller_name: str = setting("SELLER_NAME", "Extensions Marketplace")
    seller_address: str = setting("SELLER_ADDRESS", "1 Example Street, Example City, EX1 1AA")
    seller_tax_id: str = setting("SELLER_TAX_ID", "")
    # Entitlement ETags kept in each process's memory, forgotten when PostgreSQL notifies a
    # change (marketplace/api/entitlement_tags.py): a service's revalidation costs no query.
    entitlement_tags_in_memory: bool = setting("ENTITLEMENT_TAGS_IN_MEMORY", True, _flag)
    # Seconds a rendered catalog page is served from memory (0 disables); the cart and
    # checkout re-price from the database, so a stale card never changes what anyone pays.
    catalog_cache_seconds: float = setting("CATALOG_CACHE_SECONDS", 30.0, float)
    catalog_cache_max_entries: int = setting("CATALOG_CACHE_MAX_ENTRIES", 256, int)
    # How long a process trusts the catalog version it last read (marketplace/catalog/cache.py).
    catalog_version_seconds: float = setting("CATALOG_VERSION_SECONDS", 0.5, float)
    # Rate limits (flask-limiter syntax, "N/second|minute|hour|day"), counted per client IP
    # (and, for promo codes, per shopper too); stored in Redis when REDIS_URL is set.
    sign_in_rate_limit: str = setting("SIGN_IN_RATE_LIMIT", "10/minute")
    promo_rate_limit: str = setting("PROMO_RATE_LIMIT", "10/minute")
    promo_ip_rate_limit: str = setting("PROMO_IP_RATE_LIMIT", "30/minute")
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
    trusted_proxies: int = setting("TRUSTED_PROXIES", 0, int)
    # Request bodies are refused (413) past these sizes before they are read: every form
    # (Flask's MAX_CONTENT_LENGTH) and the webhook endpoints (see marketplace.request_guard).
    max_form_bytes: int = setting("MAX_FORM_BYTES", 64 * 1024, int, key="MAX_CONTENT_LENGTH")
    max_webhook_bytes: int = setting("MAX_WEBHOOK_BYTES", 1024 * 1024, int)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Read every setting from `environ`; an unset or empty variable keeps its default."""
        values = {
            f.name: f.metadata["parse"](environ[f.metadata["env"]])
            for f in fields(cls)
            if environ.get(f.metadata["env"])
        }
        return cls(**values)

    def as_flask_config(self) -> dict[str, object]:
        """Every setting under its Flask key, and what Flask's extensions derive from them."""
        config: dict[str, object] = {f.metadata["key"]: getattr(self, f.name) for f in fields(self)}
        config.update(
            RATELIMIT_STORAGE_URI=self.redis_url or "memory://",
            # A Redis that stops answering costs a request at most a second, then the limits
            # are counted in this process's memory until Redis is back (checked with back-off).
            RATELIMIT_STORAGE_OPTIONS=(
                {"socket_connect_timeout": 1, "socket_timeout": 1} if self.redis_url else {}
            ),
            RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
            RATELIMIT_KEY_PREFIX="marketplace",
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            SESSION_COOKIE_SECURE=self.env == "production",
            WTF_CSRF_TIME_LIMIT=None,
            WEBHOOK_ALLOW_PRIVATE_URLS=self.env != "production"
            if self.webhook_allow_private_urls is None
            else self.webhook_allow_private_urls,
        )
        return config

    @classmethod
    def variables(cls) -> tuple[str, ...]:
        """The environment variables read, in declaration order."""
        return tuple(f.metadata["env"] for f in fields(cls))


def production_problems(config: Mapping[str, Any]) -> list[str]:
    """Name what production mode is missing: OIDC, Stripe (never the offline test payments),
    Redis for the rate limits, a mail server (never .eml files) and a strong secret key."""
    if config.get("MARKETPLACE_ENV") != "production":
        return []
    required = (
        "OIDC_ISSUER",
        "OIDC_CLIENT_ID",
        "OIDC_CLIENT_SECRET",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "REDIS_URL",
        "MAIL_SERVER",
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
