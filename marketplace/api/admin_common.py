"""What the admin API's blueprints share: the staff guard, the actor of an audited change, and
keyset pages (marketplace/admin/keyset.py's cursors, wrapped opaque)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import request
from flask_smorest import Blueprint

from marketplace.admin import areas
from marketplace.admin.access import request_id
from marketplace.admin.audit.service import Actor
from marketplace.api import access, paging
from marketplace.api.operations import blueprint

C = TypeVar("C")
STATUSES = ("active", "inactive")  # the admin lists' status filter


def admin_blueprint(area_key: str, description: str) -> Blueprint:
    """The API of admin area `area_key`, open to the roles marketplace/admin/areas.py gives it
    (support: reads only)."""
    area = areas.BY_KEY[area_key]
    roles = " or ".join(sorted(role.value for role in area.roles))
    return blueprint(
        f"Admin: {area.label}",
        f"{description} For the {roles} role (support reads only).",
        guard=lambda: access.require_staff(area_key),
    )


def actor() -> Actor:
    """The staff member behind this change, as the audit log records them."""
    caller = access.caller()
    assert caller.role is not None  # the area's guard lets staff users in only
    return Actor(
        user_id=caller.subject, role=caller.role, request_id=request_id(), ip=request.remote_addr
    )


def keyset_args(args: dict[str, Any], parse: Callable[[str], C]) -> C | None:
    """The keyset position of the request's `cursor`, or None for the first page."""
    return paging.decode(args["cursor"], parse) if args["cursor"] else None


def page_body(items: list[dict[str, Any]], next_cursor: Any) -> tuple[dict[str, Any], int, dict]:
    """A page of `items` and the opaque cursor of the next (`next_cursor.token()`)."""
    body = {
        "items": items,
        "next_cursor": paging.encode(next_cursor.token()) if next_cursor else None,
    }
    return body, 200, {"Cache-Control": "no-store"}
