"""What the admin API's blueprints share: the staff guard, the actor of an audited change, and
keyset pages (marketplace/admin/keyset.py's cursors, wrapped opaque)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NoReturn, TypeVar

import marshmallow as ma
from flask import make_response, request
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate, validates_schema
from werkzeug.wrappers import Response

from marketplace.admin import areas
from marketplace.admin.access import request_id
from marketplace.admin.audit.service import Actor
from marketplace.admin.changes import Conflict, NotFound, Refused
from marketplace.admin.forms import MAX_AMOUNT, PERCENT, discount_problem, window_problem
from marketplace.after_response import deliver_after_response
from marketplace.api import access, paging
from marketplace.api.operations import blueprint
from marketplace.api.problems import refuse
from marketplace.api.schemas import DecimalString, PageArgs, Strict, TimestampArg
from marketplace.pricing.money import CATALOG_CURRENCY

C = TypeVar("C")
AMOUNT_PATTERN = r"^\d{1,8}(\.\d{1,2})?$"
STATUSES = ("active", "inactive")  # the admin lists' status filter
IF_MATCH_DOC = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": "The object's ETag as last read: a change made meanwhile is a 412.",
    "schema": {"type": "string", "minLength": 1},
}


class ActiveArgs(Strict):
    is_active = fields.Boolean(required=True)


class StatusArgs(PageArgs):
    """`?q=&status=` of an admin list, and its page."""

    q = fields.String(load_default="", validate=validate.Length(max=200))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


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


def if_match(what: str) -> str:
    """The edit token the request sends as If-Match (428 without one)."""
    token = request.headers.get("If-Match", "").strip().strip('"')
    if not token:
        refuse(428, f"Send the {what}'s ETag as If-Match, so no one's change is overwritten.")
    return token


def tagged(body: dict[str, Any], token: str, status: int = 200) -> tuple[dict, int, dict]:
    """`body` with its edit token as the ETag (send it back as If-Match to change it)."""
    return body, status, {"ETag": f'"{token}"', "Cache-Control": "no-store"}


def refused(
    error: Refused,
    *,
    conflict: int = 412,
    state: int = 422,
    fields_as: dict[str, str] | None = None,
) -> NoReturn:
    """A service's refusal as a problem: 404; `conflict` (412: changed since the If-Match;
    409: the state sent is stale) for a Conflict; a refusal naming a field is a 422 on it (the
    form's field name `fields_as` the API's), one that does not is `state` (409 where the
    object's state stands in the way)."""
    if isinstance(error, NotFound):
        refuse(404, error.message)
    if isinstance(error, Conflict):
        refuse(conflict, error.message)
    if error.field:
        name = (fields_as or {}).get(error.field, error.field)
        refuse(422, error.message, errors={name: [error.message]})
    refuse(state, error.message)


def amount(minimum: Decimal = Decimal(0), **kwargs: Any) -> DecimalString:
    """A money amount in a request: a decimal string in whole cents, `minimum` to MAX_AMOUNT
    (NUMERIC(10,2))."""

    def in_range(value: Decimal) -> None:
        # Not validate.Range: apispec would write its bounds into a string-typed schema.
        if not minimum <= value <= MAX_AMOUNT:
            raise ValidationError(f"Enter an amount from {minimum} to {MAX_AMOUNT}.")

    metadata = {"pattern": AMOUNT_PATTERN, "example": "12.50", **kwargs.pop("metadata", {})}
    return DecimalString(places=2, validate=in_range, metadata=metadata, **kwargs)


class AmountArgs(Strict):
    amount = amount(required=True)
    currency = fields.String(required=True, validate=validate.OneOf([CATALOG_CURRENCY]))


class OfferArgs(Strict):
    """A discount (a percentage or an amount off, exactly one) and a validity window in UTC:
    what bundles and tier pricing rules share, checked by the admin forms' own rules."""

    discount_percent = DecimalString(
        load_default=None,
        allow_none=True,
        places=2,
        metadata={"pattern": r"^\d{1,3}(\.\d{1,2})?$", "example": "15.00"},
    )
    discount_amount = fields.Nested(AmountArgs, load_default=None, allow_none=True)
    valid_from = TimestampArg(load_default=None, allow_none=True)
    valid_until = TimestampArg(load_default=None, allow_none=True)

    @validates_schema(skip_on_field_errors=True)
    def check_offer(self, data: dict[str, Any], **kwargs: Any) -> None:
        percent, off = data.get("discount_percent"), data.get("discount_amount")
        if (percent is None) == (off is None):
            message = "Give either discount_percent or discount_amount (one of them)."
            raise ValidationError(message, "discount_percent")
        problem = None if percent is None else discount_problem(PERCENT, percent)
        if problem:
            raise ValidationError(problem, "discount_percent")
        problem = window_problem(data.get("valid_from"), data.get("valid_until"))
        if problem:
            raise ValidationError(problem, "valid_until")


def offer(args: dict[str, Any]) -> dict[str, Any]:
    """The discount and window of `OfferArgs` as the services' data take them."""
    off = args["discount_amount"]
    return {
        "discount_percent": args["discount_percent"],
        "discount_amount": None if off is None else off["amount"],
        "valid_from": args["valid_from"],
        "valid_until": args["valid_until"],
    }


def sent_after(
    schema: type[ma.Schema], body: dict[str, Any], outbox_ids: Sequence[uuid.UUID], status: int
) -> Response:
    """`body` (dumped by `schema`) as the answer; the outbox entries the change queued (Stripe,
    Lago, letters, events) are delivered once it has gone, as the admin pages do."""
    response = make_response(schema().dump(body), status)
    response.headers["Cache-Control"] = "no-store"
    return deliver_after_response(response, outbox_ids)
