"""Extensions Marketplace: the Flask application factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from marketplace import (
    api,
    cli,
    errors,
    outages,
    rate_limits,
    read_only_requests,
    request_guard,
    security_headers,
    templating,
)
from marketplace.auth import oidc
from marketplace.config import INSTANCE_PATH, PROJECT_ROOT, Settings, production_problems
from marketplace.database import DatabaseUnavailable, embedded_url, engine_options, normalize_url
from marketplace.extensions import csrf, db, htmx, limiter, migrate

log = logging.getLogger(__name__)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: config → database → edge guard → extensions → templates →
    blueprints → CLI → errors → security headers → proxy."""
    # templates/ and static/ live at the top level of the project, not inside the package.
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_PATH),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(Settings.from_environ().as_flask_config())
    if test_config:
        app.config.from_mapping(test_config)
    _refuse_unsafe_production(app)

    _configure_database(app)
    request_guard.init_app(app)  # before the extensions: its hook must run before CSRF's
    _init_extensions(app)
    templating.init_app(app)
    _register_blueprints(app)
    cli.register(app)
    errors.register(app)
    security_headers.init_app(app)
    _trust_proxies(app)
    return app


def _refuse_unsafe_production(app: Flask) -> None:
    missing = production_problems(app.config)
    if missing:
        raise SystemExit(
            "Error: MARKETPLACE_ENV=production refuses to start without " + ", ".join(missing) + "."
        )


def _configure_database(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(app)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"])


def _database_url(app: Flask) -> str:
    """`DATABASE_URL`, else the embedded server's database (started on first use)."""
    if app.config["DATABASE_URL"]:
        return normalize_url(app.config["DATABASE_URL"])
    try:
        return embedded_url(INSTANCE_PATH, app.config["EMBEDDED_DB_NAME"])
    except DatabaseUnavailable as exc:
        raise SystemExit(f"Error: {exc}") from None


def _init_extensions(app: Flask) -> None:
    from marketplace import models  # noqa: F401  (registers the tables on db.metadata)

    db.init_app(app)
    outages.init_app(app)  # after db: its teardown must run before Flask-SQLAlchemy's
    read_only_requests.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), compare_type=True)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    rate_limits.init_app(app)
    oidc.init_app(app)


def _trust_proxies(app: Flask) -> None:
    """Behind `TRUSTED_PROXIES` reverse proxies, take the client's address and scheme from
    their X-Forwarded-For/-Proto (rate limits count per client IP, not per proxy)."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        # Flask's documented way to add WSGI middleware; mypy objects to assigning to a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def _register_blueprints(app: Flask) -> None:
    from marketplace.account.routes import bp as account
    from marketplace.admin.routes import bp as admin
    from marketplace.auth.routes import bp as auth
    from marketplace.bundles.routes import bp as bundles
    from marketplace.cart.routes import bp as cart
    from marketplace.catalog.routes import bp as catalog
    from marketplace.checkout.routes import bp as checkout
    from marketplace.health import bp as health

    for blueprint in (health, catalog, bundles, cart, checkout, auth, account, admin):
        app.register_blueprint(blueprint)
    api.init_app(app)
