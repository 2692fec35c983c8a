"""What every `/api` response shares at the edge: per-token rate limits with their `RateLimit-*`
headers, and CORS for the configured origins only (`API_CORS_ORIGINS`)."""

from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, Response, current_app, request
from flask_limiter.util import get_remote_address

from marketplace.api.problems import is_api_request
from marketplace.extensions import limiter

CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_REQUEST_HEADERS = "Authorization, Content-Type, Idempotency-Key, If-None-Match"
CORS_EXPOSED_HEADERS = (
    "ETag, Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset"
)
CORS_MAX_AGE_SECONDS = 600


def init_app(app: Flask) -> None:
    app.after_request(_rate_limit_headers)
    app.after_request(_cors)


def rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def token_key() -> str:
    """Count per bearer token (its hash: the token itself is never stored), else per address."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "api-token:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    return "api-ip:" + get_remote_address()


def limited(blueprint):
    """Put `blueprint` under the per-token API limit."""
    return limiter.limit(rate_limit, key_func=token_key)(blueprint)


def _rate_limit_headers(response: Response) -> Response:
    """`RateLimit-Limit`, `-Remaining` and `-Reset` (seconds) of the limit this request counted
    against (IETF draft "RateLimit header fields for HTTP")."""
    current = limiter.current_limit if is_api_request() else None
    if current is None:
        return response
    response.headers["RateLimit-Limit"] = str(current.limit.amount)
    response.headers["RateLimit-Remaining"] = str(max(0, current.remaining))
    response.headers["RateLimit-Reset"] = str(max(0, math.ceil(current.reset_at - time.time())))
    return response


def _cors(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if not origin or not is_api_request():
        return response
    response.vary.add("Origin")
    if origin not in current_app.config["API_CORS_ORIGINS"]:
        return response  # no Access-Control-* header: the browser refuses the answer
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_REQUEST_HEADERS
        response.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE_SECONDS)
    return response
