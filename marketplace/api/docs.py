"""`/api/docs`: the API reference (Swagger UI, vendored in static/swagger-ui, no CDN)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__)


@bp.get("/api/docs")
def reference():
    """Show the API reference, read from /api/v1/openapi.json."""
    return render_template("api/docs.html")
