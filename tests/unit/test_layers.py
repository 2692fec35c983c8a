"""Imports go one way: each module imports only from its own layer or the layers below it.

The layers, lowest first (README, Architecture):

1. domain    — `vocabulary`, `pricing`: pure rules on plain data.
2. adapters  — `config`, `payments` (Stripe, offline), the Lago client, the mail transport.
3. data      — `models`, `database`, `extensions`.
4. services  — `quoting`, `promotions`, `entitlements`, `shopper`, `billing`, `mail`,
               `maintenance`, `demo`, and each area's `queries`, `service` and the like: no Flask.
5. web       — each area's `routes` and `forms`, sign-in, the API, `extensions`, errors,
               rendering, templating, headers, the edge guard.
6. app       — the factory (`marketplace/__init__.py`), the CLI, gunicorn's config.

Layers 1–4 never import Flask (or its extensions): they can be called from a CLI, a worker or
the future API the same way.
"""

from __future__ import annotations

import ast
from pathlib import Path

from marketplace.config import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "marketplace"
DOMAIN, ADAPTERS, DATA, SERVICES, WEB, APP = range(1, 7)
FLASK = ("flask", "flask_sqlalchemy", "flask_wtf", "flask_limiter", "flask_migrate", "htmx_flask")

# By module name: the longest matching prefix gives the layer; otherwise an area's `routes` and
# `forms` are web and the rest of it (queries, service …) services.
BY_PREFIX = {
    "marketplace.vocabulary": DOMAIN,
    "marketplace.pricing": DOMAIN,
    "marketplace.analytics": DOMAIN,
    "marketplace.config": ADAPTERS,
    "marketplace.payments": ADAPTERS,
    "marketplace.billing.lago_client": ADAPTERS,
    "marketplace.mail.transport": ADAPTERS,
    "marketplace.models": DATA,
    "marketplace.database": DATA,
    "marketplace.auth": WEB,  # the sign-in flow (Authlib, the session)…
    "marketplace.auth.queries": SERVICES,  # …but for what it reads
    "marketplace.api": WEB,
    "marketplace.catalog.cache": WEB,
    "marketplace.catalog.cards": WEB,
    "marketplace.catalog.owned": WEB,
    "marketplace.cart.promo_codes": WEB,  # an anonymous cart's code is in the session cookie
    "marketplace.extensions": WEB,
    "marketplace.errors": WEB,
    "marketplace.rendering": WEB,
    "marketplace.templating": WEB,
    "marketplace.security_headers": WEB,
    "marketplace.request_guard": WEB,
    "marketplace.rate_limits": WEB,
    "marketplace.health": WEB,
    "marketplace.outages": WEB,
    "marketplace.read_only_requests": WEB,  # per request (flask.g)
    "marketplace.after_response": WEB,
    "marketplace.redirects": WEB,
    "marketplace.current": WEB,
    "marketplace.admin.access": WEB,  # the admin area's guard reads the request
    "marketplace.admin.views": WEB,  # view helpers every admin area shares
    "marketplace.cli": APP,
    "marketplace.gunicorn_conf": APP,
    "marketplace": APP,
}


def layer_of(module: str) -> int:
    name = module
    while name:
        if name in BY_PREFIX and (name != "marketplace" or module == "marketplace"):
            return BY_PREFIX[name]
        name = name.rpartition(".")[0]
    return WEB if module.rsplit(".", 1)[-1] in ("routes", "forms") else SERVICES


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from package import module` imports the module, not the package's __init__.
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            modules = [name for name in names if _is_module(name)]
            found |= set(modules) if modules else {node.module}
    return found


def _is_module(name: str) -> bool:
    dotted = name.replace(".", "/")
    return (PROJECT_ROOT / f"{dotted}.py").exists() or (PROJECT_ROOT / dotted).is_dir()


def marketplace_module(name: str) -> str | None:
    """The marketplace module `name` refers to (a module, or a name inside one), if any."""
    while name.startswith("marketplace"):
        if _is_module(name):
            return name
        name = name.rpartition(".")[0]
    return None


def test_no_module_imports_from_a_layer_above_its_own():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = module_name(path)
        for name in imports_of(path):
            imported = marketplace_module(name)
            if imported and layer_of(imported) > layer_of(importer):
                upward.append(f"{importer} ({layer_of(importer)}) → {imported}")
    assert sorted(set(upward)) == []


def test_domain_adapters_data_and_services_never_import_flask():
    flask_users = [
        f"{module_name(path)} → {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if layer_of(module_name(path)) <= SERVICES
        for name in imports_of(path)
        if name.split(".")[0] in FLASK
    ]
    assert flask_users == []


def test_the_layers_have_the_modules_they_describe():
    layers = {module_name(path): layer_of(module_name(path)) for path in PACKAGE.rglob("*.py")}

    assert layers["marketplace.pricing.engine"] == DOMAIN
    assert layers["marketplace.payments.stripe_provider"] == ADAPTERS
    assert layers["marketplace.models.purchases"] == DATA
    assert layers["marketplace.checkout.fulfilment"] == SERVICES
    assert layers["marketplace.checkout.routes"] == WEB
    assert layers["marketplace"] == APP
