"""Who may use the admin area, checked once for every `/admin` request, and who is acting.

`guard` runs before every view of the admin blueprint and its sub-blueprints (Flask runs a
parent blueprint's `before_request` for its children): anonymous visitors go to sign in,
shoppers get the 403 page, support staff may open their areas and only read. Views never check
access themselves; `tests/integration/admin/test_access.py` walks the URL map to hold them to it.
"""

from __future__ import annotations

import re
import uuid

from flask import abort, current_app, g, request, url_for
from werkzeug.wrappers import Response

from marketplace.admin.areas import Area, area_of, areas_for, may_change, may_open
from marketplace.admin.audit.service import Actor
from marketplace.current import current_shopper
from marketplace.rendering import go_to
from marketplace.vocabulary import Role

REQUEST_ID_HEADER = "X-Request-ID"
# A request id a proxy sends is kept when it is short and plain; otherwise one is made here.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
NOT_STAFF = "This page is for marketplace staff only. Ask an admin if you need access."
READ_ONLY = "Support access is read-only: only an admin can change anything here."
AREA_CLOSED = "This part of the admin area is for admins only."


def guard() -> Response | None:
    """Refuse the request unless the signed-in user's role may do it (see `areas`)."""
    shopper = current_shopper()
    if not shopper.is_signed_in:
        return go_to(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not shopper.is_staff:
        abort(403, description=NOT_STAFF)
    if not may_change(shopper.role, request.method):
        abort(403, description=READ_ONLY)
    if not may_open(area_of(request.blueprint), shopper.role):
        abort(403, description=AREA_CLOSED)
    return None


def no_store(response: Response) -> Response:
    """Admin pages show private data: no cache keeps them."""
    response.headers["Cache-Control"] = "no-store"
    return response


def request_id() -> str:
    """This request's id: the proxy's `X-Request-ID` when it is plain, else a new one."""
    if "request_id" not in g:
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = sent if REQUEST_ID.match(sent) else uuid.uuid4().hex
    return g.request_id


def current_actor() -> Actor:
    """The signed-in staff member behind this admin request (the guard let them in)."""
    shopper = current_shopper().signed_in()
    if shopper is None:
        raise RuntimeError("the admin guard lets nobody in anonymously")
    return Actor(
        user_id=shopper.user_id,
        role=shopper.role,
        request_id=request_id(),
        ip=request.remote_addr,
    )


def menu() -> dict[str, object]:
    """Template context of admin pages: the areas this user may open (and only those)."""
    role = current_shopper().role
    endpoints = frozenset(current_app.view_functions)
    areas: list[Area] = areas_for(role, endpoints)
    return {
        "admin_areas": areas,
        "admin_area": area_of(request.blueprint),
        "is_admin": role is Role.ADMIN,
    }
