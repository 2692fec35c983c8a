"""Full page or htmx partial from the same view (one template per fragment)."""

from __future__ import annotations

from flask import Response, make_response, render_template, request


def wants_partial() -> bool:
    """True for a real htmx request: not a boosted navigation, not a history restore."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, partial: str, *, status: int = 200, **context) -> Response:
    """Render `partial` for htmx requests, else the full `page` (which includes the partial).

    `Vary: HX-Request` keeps caches from serving a fragment where a page was asked for.
    """
    template = partial if wants_partial() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def trigger(response: Response, *events: str) -> Response:
    """Add htmx client events (`HX-Trigger`) that other fragments listen for."""
    existing = [e for e in response.headers.get("HX-Trigger", "").split(",") if e]
    response.headers["HX-Trigger"] = ",".join([*existing, *events])
    return response
