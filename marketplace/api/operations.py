"""How every API operation is declared and documented: its blueprint (guarded, rate-limited),
its security scheme and the errors it can answer, each documented as problem+json."""

from __future__ import annotations

import http
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import request
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser

from marketplace.api import edge
from marketplace.extensions import csrf

# What any operation may answer besides its own outcomes.
COMMON_ERRORS = (400, 413, 429, 500, 503)
GUARDED_ERRORS = (401, 403)
# webargs ignores unknown query parameters by default; a misspelt filter must be a 422 naming it.
PARSER = FlaskParser(unknown=ma.RAISE)


def blueprint(name: str, description: str, guard: Callable[[], Any] | None) -> Blueprint:
    """An API blueprint under `/api/v1`: `guard` runs before each of its views (None: public)."""
    blp = Blueprint(name, __name__, url_prefix="/api/v1", description=description)
    blp.ARGUMENTS_PARSER = PARSER
    if guard is not None:

        @blp.before_request
        def check_caller() -> None:
            if request.method != "OPTIONS":  # a CORS preflight carries no credentials
                guard()

    edge.limited(blp)
    csrf.exempt(blp)  # bearer tokens, never cookies: there is no session to ride on
    return blp


def documented(
    blp: Blueprint, *, security: str | None, errors: tuple[int, ...] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document the view's security scheme and every error it can answer (problem+json)."""
    codes = sorted({*COMMON_ERRORS, *errors, *(GUARDED_ERRORS if security else ())})

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        for code in codes:
            view = blp.alt_response(code, response=http.HTTPStatus(code).name)(view)
        return blp.doc(security=[{security: []}] if security else [])(view)

    return decorate
