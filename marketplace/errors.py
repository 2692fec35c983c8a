"""Error pages: every HTTP error renders a page (or, for htmx, the message alone); a webhook
receiver gets JSON."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from marketplace import request_guard


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _render_http_error)
    app.register_error_handler(Exception, _render_unexpected_error)


def _render_http_error(error: HTTPException):
    if error.code == 413 and error.description == RequestEntityTooLarge.description:
        error = request_guard.too_large()  # werkzeug's stream stopped a body: say the limit
    if request_guard.is_webhook():
        name = error.name.lower().replace(" ", "_")
        return jsonify(error=name, message=error.description), error.code or 500
    template = "errors/_message.html" if getattr(request, "htmx", False) else "errors/page.html"
    return render_template(template, error=error), error.code or 500


def _render_unexpected_error(error: Exception):
    # Unexpected failures are logged with their traceback but never shown to the shopper.
    from flask import current_app

    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return _render_http_error(InternalServerError())
