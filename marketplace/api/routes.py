"""`/api/v1`: JSON for platform services; CSRF-exempt, bearer tokens instead of cookies."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException

from marketplace.api import tokens
from marketplace.entitlements import entitlement_set
from marketplace.extensions import csrf, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_USER_ID = 255


@bp.before_request
def require_bearer_token():
    try:
        tokens.authenticate(request.headers.get("Authorization"))
    except tokens.Unauthorized as error:
        response = jsonify(error="invalid_token", message=str(error))
        response.status_code = 401
        response.headers["WWW-Authenticate"] = (
            'Bearer realm="marketplace", error="invalid_token"'
            if request.headers.get("Authorization")
            else 'Bearer realm="marketplace"'
        )
        return response
    except tokens.Forbidden as error:
        response = jsonify(error="insufficient_scope", message=str(error))
        response.status_code = 403
        response.headers["WWW-Authenticate"] = (
            'Bearer realm="marketplace", error="insufficient_scope"'
        )
        return response
    return None


@bp.get("/users/<user_id>/features")
def features(user_id: str):
    """The enabled feature keys of a user and their merged configuration."""
    if len(user_id) > MAX_USER_ID:
        return jsonify(error="not_found", message="No such user id."), 404
    response = jsonify(entitlement_set(db.session(), user_id))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return jsonify(error=error.name.lower().replace(" ", "_"), message=error.description), (
        error.code or 500
    )
