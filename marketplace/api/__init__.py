"""The JSON API (`/api/v1`), described by OpenAPI 3.1 at `/api/v1/openapi.json`.

Built with **flask-smorest** (marshmallow schemas through webargs and apispec). Why it, over
APIFlask and spectree:

- One marshmallow schema per shape both loads a request (types, ranges, unknown fields
  refused, per-field messages) and dumps the response, and the same schema is what apispec
  writes into the OpenAPI document — no second description to drift.
- It is plain Flask blueprints: the API sits beside the HTML blueprints in the same app, with
  the same services, session, limiter and error pages; APIFlask replaces the `Flask` class
  itself, and spectree's pydantic models would be a second schema language next to the
  WTForms/marshmallow-free code here.
- Its spec knows OpenAPI 3.1 and lazily registered per-status responses, which we point at the
  problem+json schema, so every documented error is the shape we send.

Every error under `/api` is `application/problem+json` (`problems.py`, rendered from
`errors.py`), lists are cursor-paged (`paging.py`), reads carry ETags (`caching.py`), each token
is rate-limited and CORS is for `API_CORS_ORIGINS` only (`edge.py`).
"""

from __future__ import annotations

import http
from typing import Any

from apispec import APISpec
from flask import Flask
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response

from marketplace.api import edge
from marketplace.api.entitlement_tags import EntitlementTags
from marketplace.api.problems import PROBLEM_JSON
from marketplace.api.schemas import ProblemSchema
from marketplace.database import libpq_conninfo

SECURITY_SCHEMES = {
    "user": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The user's Keycloak access token (issuer and audience checked); "
        "in development `dev:shopper:<user id>`.",
    },
    "service": {
        "type": "http",
        "scheme": "bearer",
        "description": "A Keycloak token with the service role, or a static token from "
        "MARKETPLACE_API_TOKENS; in development `dev:service:<name>`.",
    },
    "staff": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A Keycloak token with the admin role (support: reads only); "
        "in development `dev:admin:<user id>` or `dev:support:<user id>`.",
    },
}
DESCRIPTION = """The Extensions Marketplace as an API: the catalog (public), a shopper's cart,
checkout, orders and subscriptions (the user's own token), entitlements for platform services,
and the admin area's operations.

Errors are `application/problem+json` (RFC 9457) with `errors` per field. Lists are paged by
`limit` (1–100) and an opaque `cursor` (the previous page's `next_cursor`). Money is
`{"amount": "12.50", "currency": "USD"}`; timestamps are RFC 3339 in UTC. Reads send an `ETag`:
send it back as `If-None-Match` for a 304. Every token has a rate limit (`RateLimit-*`
headers; a 429 says when to retry in `Retry-After`)."""


class MarketplaceApi(Api):
    """flask-smorest's Api, with errors left to `errors.py` and documented as problem+json, and
    its OpenAPI document written when first read rather than at start-up.

    Documenting every operation (apispec resolving each schema) takes about 0.2 s, which every
    app would pay when created — each worker, each CLI command, each test's app — although
    only `/api/v1/openapi.json` and `flask openapi` read the document. Routes are registered
    at once as usual; their documentation waits in `_undocumented` until `spec` is read.
    """

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Flask) -> None:
        self._undocumented: list[tuple[Blueprint, str, list | None]] = []
        super().__init__(app)

    @property
    def spec(self) -> APISpec:
        while self._undocumented:
            blueprint, name, parameters = self._undocumented.pop(0)
            blueprint.register_views_in_doc(
                self, self._app, self._spec, name=name, parameters=parameters
            )
            self._spec.tag({"name": name, "description": blueprint.description})
        return self._spec

    @spec.setter
    def spec(self, value: APISpec) -> None:  # flask-smorest's `_init_spec` assigns it
        self._spec = value

    def register_blueprint(
        self, blp: Blueprint, *, parameters: list | None = None, **options: Any
    ) -> None:
        """Register `blp`'s routes now, its documentation when the document is first read."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def _register_error_handlers(self) -> None:
        """Nothing here: `errors.py` renders every error of the app, the API's as problems."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            if status >= 400:
                response = {"description": status.phrase, "schema": self.ERROR_SCHEMA}
                prepare_response(response, self.spec, PROBLEM_JSON)
                self.spec.components.response(status.name, response, lazy=True)
        not_modified = {"description": "Your copy (If-None-Match) is current: no body"}
        self.spec.components.response("NOT_MODIFIED", not_modified, lazy=True)
        default = {"description": "Any other error", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


# flask-smorest's settings: where the document is served and what it says of itself.
OPENAPI_SETTINGS = {
    "API_TITLE": "Extensions Marketplace API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {"info": {"description": DESCRIPTION}, "servers": [{"url": "/"}]},
}


def init_app(app: Flask) -> None:
    """Register the API's blueprints and its OpenAPI document."""
    from marketplace.api import (
        account,
        admin_analytics,
        admin_bundles,
        admin_catalog,
        admin_promos,
        admin_rules,
        admin_sales,
        admin_subscriptions,
        admin_webhooks,
        cart,
        catalog,
        docs,
        services,
    )

    app.config.update(OPENAPI_SETTINGS)
    api = MarketplaceApi(app)  # one per app: each holds its app's OpenAPI document
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    blueprints = (
        catalog.blp,
        cart.blp,
        account.blp,
        services.blp,
        admin_catalog.blp,
        admin_bundles.blp,
        admin_rules.blp,
        admin_promos.blp,
        admin_sales.orders_blp,
        admin_subscriptions.blp,
        admin_sales.customers_blp,
        admin_webhooks.blp,
        admin_analytics.blp,
        admin_sales.audit_blp,
    )
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.bp)
    edge.init_app(app)
    if app.config["ENTITLEMENT_TAGS_IN_MEMORY"]:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        app.extensions["entitlement_tags"] = EntitlementTags(libpq_conninfo(url))
