"""Error pages: every HTTP error renders a page (or, for htmx, the message alone); a webhook
receiver gets JSON; the API (`/api/`) gets problem+json."""

from __future__ import annotations

import psycopg
from flask import Flask, current_app, jsonify, render_template, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    ServiceUnavailable,
)

from marketplace import outages, request_guard
from marketplace.api.problems import is_api_request, problem_response
from marketplace.database import first_line
from marketplace.rendering import is_htmx

# A fast restart of PostgreSQL takes about a second; a failover, a few.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = (
    "The shop is temporarily unavailable. Nothing you did caused this: please try again in a "
    "moment."
)


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _render_http_error)
    for database_error in (sa_exc.DBAPIError, sa_exc.TimeoutError, psycopg.Error):
        app.register_error_handler(database_error, _render_database_error)
    app.register_error_handler(Exception, _render_unexpected_error)


def _render_http_error(error: HTTPException):
    if error.code == 413 and error.description == RequestEntityTooLarge.description:
        error = request_guard.too_large()  # werkzeug's stream stopped a body: say the limit
    if error.code == 304:
        return error.get_response(), 304  # a conditional GET's "not modified" is no error
    if is_api_request():
        return problem_response(error), error.code or 500
    if request_guard.is_webhook():
        name = error.name.lower().replace(" ", "_")
        return jsonify(error=name, message=error.description), error.code or 500
    template = "errors/_message.html" if is_htmx() else "errors/page.html"
    return render_template(template, error=error), error.code or 500


def _render_database_error(error: Exception):
    """An unreachable database is a 503 with `Retry-After`; any other database error a 500."""
    if not outages.is_database_outage(error):
        return _render_unexpected_error(error)
    current_app.logger.warning(
        "database unavailable on %s %s: %s", request.method, request.path, first_line(error)
    )
    outages.mark_unavailable()  # the page's header must not ask the database again
    body, status = _render_http_error(ServiceUnavailable(UNAVAILABLE_MESSAGE))
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    return body, status, headers


def _render_unexpected_error(error: Exception):
    # Unexpected failures are logged with their traceback but never shown to the shopper.
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return _render_http_error(InternalServerError())
