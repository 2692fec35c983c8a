"""The edge guard: malformed input is refused before any view, form or SQL sees it.

One `before_request` hook, run before every other (CSRF protection reads the form):

- Bodies are bounded: `MAX_CONTENT_LENGTH` (`MAX_FORM_BYTES`) for every view, and
  `MAX_WEBHOOK_BYTES` for views marked `@webhook`. A declared `Content-Length` over the limit is
  a 413 before a byte is read. werkzeug's limited stream reads no further than the limit (a
  chunked body) or the `Content-Length` (a body longer than it says: the rest is never read);
  a chunked body that reaches the limit is a 413 too (forms here, webhooks in `raw_body`).
- NUL bytes (which PostgreSQL text cannot hold) are a 400 in the path, the query string, and the
  fields and file names of a form body.
- Views take form bodies only (a JSON body would reach FlaskForm, which accepts it, unchecked):
  any other body is a 415, unread. A webhook's body is its own raw bytes: never parsed here.
  The JSON API (`/api/`) is the other way round: JSON bodies only, and no `\u0000` in them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, abort, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

NUL = "\x00"
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
WEBHOOK_MARK = "receives_webhooks"
API_PREFIX = "/api/"
JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)  # JSON's escape of a NUL byte

View = TypeVar("View", bound=Callable)


def init_app(app: Flask) -> None:
    """Run the guard first on every request: call before the extensions register theirs."""
    app.before_request(refuse_malformed_input)


def webhook(view: View) -> View:
    """Mark `view` as a webhook receiver: it reads its raw body itself (signed bytes the guard
    never parses), bounded by `MAX_WEBHOOK_BYTES`, and answers errors in JSON."""
    setattr(view, WEBHOOK_MARK, True)
    return view


def is_webhook() -> bool:
    """True when this request is for a view marked `@webhook`."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return bool(getattr(view, WEBHOOK_MARK, False))


def refuse_malformed_input() -> None:
    """Refuse (413, 400, 415) a request whose size, URL or form body no view should see."""
    req = request._get_current_object()  # type: ignore[attr-defined]  # once: every request
    view = current_app.view_functions.get(req.endpoint) if req.endpoint else None
    receives_webhook = bool(getattr(view, WEBHOOK_MARK, False))
    if receives_webhook:
        req.max_content_length = current_app.config["MAX_WEBHOOK_BYTES"]
    limit = req.max_content_length
    if limit is not None and (req.content_length or 0) > limit:
        raise too_large(limit)
    if NUL in req.path or (req.query_string and _nul_in_args()):
        abort(400, description=_nul_message(_nul_in_url() or "the address"))
    if receives_webhook or req.endpoint is None or not _has_body():
        return  # no body to check; an unknown URL is a 404 or 405 without reading one
    if req.path.startswith(API_PREFIX):
        _refuse_bad_json(limit)
        return
    if req.mimetype not in FORM_TYPES:
        abort(
            415,
            description="This address takes form data (application/x-www-form-urlencoded "
            "or multipart/form-data) only.",
        )
    where = _nul_in_form(limit)
    if where:
        abort(400, description=_nul_message(where))


def _refuse_bad_json(limit: int | None) -> None:
    if request.mimetype != "application/json":
        abort(415, description="The API takes JSON bodies only (Content-Type: application/json).")
    body = request.get_data(cache=True)
    _refuse_a_cut_body(limit)
    if JSON_NUL.search(body):
        abort(400, description=_nul_message("the JSON body"))


def too_large(limit: int | None = None) -> RequestEntityTooLarge:
    """A 413 that says how much this address accepts (the request's limit by default)."""
    limit = request.max_content_length if limit is None else limit
    if limit is None:
        return RequestEntityTooLarge()
    return RequestEntityTooLarge(
        description=f"The request body is larger than {_size(limit)}, the most this address "
        "accepts. Nothing was saved."
    )


def raw_body() -> bytes:
    """The whole raw body of a `@webhook` view, or a 413 when it runs past the view's limit."""
    body = request.get_data(cache=True)
    _refuse_a_cut_body(request.max_content_length)
    return body


def _refuse_a_cut_body(limit: int | None) -> None:
    """Refuse a body without a Content-Length (chunked) that was read up to the limit.

    werkzeug's limited stream stops reading such a body at the limit, but reading it whole
    (`get_data`, a urlencoded form) then ends there quietly: the body would be used cut short.
    """
    if limit is not None and request.content_length is None and request.stream.tell() >= limit:
        raise too_large(limit)


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "")


def _nul_in_args() -> bool:
    """A NUL byte in the query, raw or percent-encoded (decoding the arguments costs more)."""
    return b"\x00" in request.query_string or b"%00" in request.query_string


def _nul_in_url() -> str | None:
    if NUL in request.path:
        return "the address"
    for name, value in request.args.items(multi=True):
        if NUL in name or NUL in value:
            return f"the query parameter {_shown(name)}"
    return None


def _nul_in_form(limit: int | None) -> str | None:
    try:
        form, files = request.form, request.files
    except RequestEntityTooLarge:
        raise too_large(limit) from None  # a chunked body ran past the limit
    _refuse_a_cut_body(limit)
    for name, value in form.items(multi=True):
        if NUL in name or NUL in value:
            return f"the form field {_shown(name)}"
    for name, upload in files.items(multi=True):
        if NUL in name or NUL in (upload.filename or ""):
            return f"the file field {_shown(name)}"
    return None


def _nul_message(where: str) -> str:
    return (
        f"The request has a NUL byte (%00) in {where}. No address or form here takes one: "
        "please check the link or what was typed."
    )


def _shown(name: str) -> str:
    return '"' + name.replace(NUL, "%00")[:40] + '"'


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KB"
    return f"{limit:,} bytes"
