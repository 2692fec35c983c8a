"""`Idempotency-Key` on the POSTs that move money: required, claimed before the work, and the
stored answer replayed for a retry (marketplace/idempotency/service.py keeps the keys)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from flask import Response, json, request

from marketplace.api import access
from marketplace.api.problems import PROBLEM_JSON, refuse
from marketplace.extensions import db
from marketplace.idempotency import service

HEADER = "Idempotency-Key"
KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as the IETF draft's examples use
REPLAYED = "Idempotent-Replayed"
HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": True,
    "description": "A unique key per intended operation (a UUID): a retry with the same key "
    "and body gets the first answer again, never a second charge; the same key with another "
    "body is a 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}


def idempotent(operation: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the view once per caller and key; replay its answer for a retry of the same body."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER, "")
            if not KEY.fullmatch(key):
                refuse(
                    400,
                    f"This operation moves money: send an {HEADER} header (1 to 255 visible "
                    "ASCII characters, e.g. a UUID) so a retry can never charge twice.",
                    errors={HEADER: ["Required: 1 to 255 visible ASCII characters."]},
                )
            caller = access.require_user().subject
            session = db.session()
            body = request.get_json(silent=True)
            # The path is part of what was asked: the same key and body for another order is
            # another request, never the first one's answer.
            asked = f"{operation} {request.path}"
            outcome = service.claim(session, caller, key, asked, body)
            if isinstance(outcome, service.Mismatch):
                refuse(
                    422,
                    f"This {HEADER} was used with another request: use a new key.",
                    errors={HEADER: ["Already used with a different body."]},
                )
            if isinstance(outcome, service.InProgress):
                refuse(409, f"The first request with this {HEADER} is still running.")
            if isinstance(outcome, service.Replay):
                return _replay(outcome)
            return _run_once(view, args, kwargs, caller, key)

        return wrapper

    return decorate


def _run_once(view, args, kwargs, caller: str, key: str) -> Any:
    """Run the claimed work; store a success, give the key back on any failure (nothing was
    done, or what was done is refused again on retry: a checkout closes the previous one)."""
    session = db.session()
    try:
        response = view(*args, **kwargs)
    except Exception:  # a refusal (HTTPException) or a failure: the retry runs again
        service.release(session, caller, key)
        raise
    if isinstance(response, Response) and response.status_code < 400:
        service.finish(session, caller, key, response.status_code, response.get_json() or {})
    else:
        service.release(session, caller, key)
    return response


def _replay(stored: service.Replay) -> Response:
    mimetype = PROBLEM_JSON if stored.status >= 400 else "application/json"
    response = Response(json.dumps(stored.body), status=stored.status, mimetype=mimetype)
    response.headers[REPLAYED] = "true"
    response.headers["Cache-Control"] = "no-store"
    return response
