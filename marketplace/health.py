"""Liveness and readiness probes for the platform's load balancer."""

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from marketplace.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def live():
    """Answer that the process is up (no database)."""
    return {"status": "ok"}


@bp.get("/readyz")
def ready():
    """Answer whether the database can be reached (503 when not)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return {"status": "database unavailable"}, 503
    return {"status": "ready"}
