"""Bundles page: `/bundles`."""

from __future__ import annotations

from flask import Blueprint, render_template

from marketplace.bundles.queries import live_bundles
from marketplace.extensions import db

bp = Blueprint("bundles", __name__)


@bp.get("/bundles")
def index():
    """List the live bundles with their prices and savings."""
    return render_template("bundles/index.html", bundles=live_bundles(db.session()))
