"""Every setting, read from the environment in one place, with its default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = PROJECT_ROOT / "instance"

# The factory refuses to run in production mode with this key.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-secret-key"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """A snapshot of the environment, turned into Flask config keys by `as_flask_config`."""

    env: str
    secret_key: str
    database_url: str | None
    redis_url: str | None
    embedded_db_name: str
    sql_echo: bool

    @classmethod
    def from_environ(cls) -> Settings:
        return cls(
            env=os.environ.get("MARKETPLACE_ENV", "development").strip().lower(),
            secret_key=os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY),
            database_url=os.environ.get("DATABASE_URL") or None,
            redis_url=os.environ.get("REDIS_URL") or None,
            embedded_db_name=os.environ.get("EMBEDDED_DB_NAME", "marketplace"),
            sql_echo=_bool("SQL_ECHO", False),
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
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.env == "production",
            "WTF_CSRF_TIME_LIMIT": None,
        }
