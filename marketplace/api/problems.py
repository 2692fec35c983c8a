"""Every error under `/api` as `application/problem+json` (RFC 9457).

One renderer for all of them: a view's `abort`, the request validation's 422 (webargs), the
framework's own 404/405/413/429, an unreachable database (503) and an unexpected failure (500).
`errors.py` sends every error of a request under `/api` here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn, TypeVar

from flask import Response, json, request
from flask_smorest import abort
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/"
T = TypeVar("T")


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def refuse(
    status: int,
    message: str,
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> NoReturn:
    """Stop the request with the problem `status`: `message` as its detail, `errors` per field."""
    data: dict[str, Any] = {"message": message}
    if errors:
        data["errors"] = dict(errors)
    if headers:
        data["headers"] = dict(headers)
    abort(status, **data)
    raise AssertionError("abort raises")  # flask-smorest's abort is untyped


def or_404(found: T | None, message: str) -> T:
    """`found`, the object a read looked up; when there is none, a 404 problem saying `message`."""
    if found is None:
        refuse(404, message)
    return found


def problem_response(error: HTTPException, headers: Mapping[str, str] | None = None) -> Response:
    """The problem document of `error`: its status and phrase, what went wrong, and per-field
    messages when the request's parameters or body were refused."""
    status = error.code or 500
    body: dict[str, Any] = {
        "type": "about:blank",  # the status says it all: `title` is the status phrase
        "title": error.name,
        "status": status,
        "detail": _detail(error),
        "instance": request.path,
    }
    data = getattr(error, "data", None) or {}
    fields = field_errors(data.get("errors") or data.get("messages") or {})
    if fields:
        body["errors"] = fields
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers["Cache-Control"] = "no-store"
    for name, value in {**(data.get("headers") or {}), **(headers or {})}.items():
        response.headers[name] = value
    allowed = getattr(error, "valid_methods", None)  # a MethodNotAllowed's
    if allowed:
        response.headers["Allow"] = ", ".join(sorted(allowed))
    return response


def _detail(error: HTTPException) -> str:
    data = getattr(error, "data", None) or {}
    if data.get("message"):
        return str(data["message"])
    if data.get("messages") and error.code == 422:
        return "The request has invalid values: see `errors`."
    return error.description or error.name


def field_errors(messages: Mapping[str, Any]) -> dict[str, list[str]]:
    """Flatten webargs' `{location: {field: [...] or {nested}}}` into `{"a.b.0": [...]}`.

    The location (`json`, `query`, `headers`) is dropped: a field's name says where it is.
    """
    flat: dict[str, list[str]] = {}
    locations = {"json", "query", "querystring", "headers", "form", "files", "view_args"}
    for key, value in messages.items():
        _flatten("" if key in locations else str(key), value, flat)
    return flat


def _flatten(prefix: str, value: Any, flat: dict[str, list[str]]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            name = "(body)" if key == "_schema" else str(key)
            _flatten(f"{prefix}.{name}" if prefix else name, inner, flat)
    elif isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        flat.setdefault(prefix or "(body)", []).extend(value)
    else:
        flat.setdefault(prefix or "(body)", []).append(str(value))
