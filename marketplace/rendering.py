"""Full page or htmx partial from the same view: the one place that reads `request.htmx`.

Follows django-htmx: a partial answers only a real htmx request, not a boosted navigation or a
history restore (both want the whole page); every response that can differ by that says
`Vary: HX-Request, HX-History-Restore-Request`, so no cache serves a fragment where a page was
asked for. Back/forward always asks the server (`historyCacheSize` 0 in base.html), so a
restored page's controls show the state of its URL.
"""

from __future__ import annotations

from flask import Response, make_response, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse


def is_htmx() -> bool:
    """True for any request htmx made (an XHR: it cannot follow a redirect to another page)."""
    return bool(getattr(request, "htmx", False))


def wants_partial() -> bool:
    """True for a real htmx request: not a boosted navigation, not a history restore."""
    htmx = getattr(request, "htmx", None)
    if not htmx:
        return False
    return not htmx.boosted and not htmx.history_restore_request


def varies(response: Response) -> Response:
    """Mark a response whose body depends on whether htmx asked for a partial (`Vary`)."""
    response.vary.add("HX-Request")
    response.vary.add("HX-History-Restore-Request")
    return response


def render(page: str, partial: str, *, status: int = 200, **context) -> Response:
    """Render `partial` for htmx requests, else the full `page` (which includes the partial)."""
    template = partial if wants_partial() else page
    return varies(make_response(render_template(template, **context), status))


def render_partial(template: str, *, status: int = 200, **context) -> Response:
    """A fragment only htmx asks for (its plain-form twin redirects instead)."""
    return varies(make_response(render_template(template, **context), status))


def htmx_redirect(url: str, status: int = 200) -> Response:
    """Make htmx load `url` as a whole page (`HX-Redirect`)."""
    response = make_response("", status)
    response.headers["HX-Redirect"] = url
    return response


def go_to(url: str, *, htmx_status: int = 200, status: int = 303) -> BaseResponse:
    """Send the browser to `url`: a redirect, or for htmx an `HX-Redirect`."""
    if is_htmx():
        return htmx_redirect(url, htmx_status)
    return redirect(url, status)


def trigger(response: Response, *events: str) -> Response:
    """Add htmx client events (`HX-Trigger`) that other fragments listen for."""
    existing = [e for e in response.headers.get("HX-Trigger", "").split(",") if e]
    response.headers["HX-Trigger"] = ",".join([*existing, *events])
    return response
