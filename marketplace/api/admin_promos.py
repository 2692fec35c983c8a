"""The admin area's promo codes over the API: read, create, edit (deactivate by saving
`is_active: false`, as the code form does) and batch generation — through the promo admin's
service, so codes are normalised, checked and audited exactly as on its pages."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from marketplace.admin.changes import Refused
from marketplace.admin.forms import window_problem
from marketplace.admin.keyset import Cursor
from marketplace.admin.promos import queries as promo_queries
from marketplace.admin.promos import service as promos
from marketplace.admin.promos.forms import CODE, CODE_MESSAGE, MAX_PREFIX
from marketplace.api.admin_common import (
    IF_MATCH_DOC,
    StatusArgs,
    actor,
    admin_blueprint,
    amount,
    if_match,
    keyset_args,
    page_body,
    refused,
    tagged,
)
from marketplace.api.operations import documented
from marketplace.api.problems import or_404
from marketplace.api.schemas import (
    DecimalString,
    MoneySchema,
    PageSchema,
    Strict,
    Timestamp,
    TimestampArg,
    money,
)
from marketplace.extensions import db
from marketplace.models import PromotionalCode
from marketplace.pricing import normalize_code
from marketplace.vocabulary import DiscountType

blp = admin_blueprint("promos", "Promo codes: read, create, edit, generate batches.")
MAX_APPLICABLE = 1000


class PromoListArgs(StatusArgs):
    batch_id = fields.UUID(load_default=None, metadata={"description": "The codes of a batch"})


class AdminPromoSchema(Strict):
    id = fields.UUID(required=True)
    code = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    discount_type = fields.String(required=True)
    discount_value = DecimalString(
        required=True, metadata={"description": "Percent, or an amount in USD"}
    )
    max_uses = fields.Integer(required=True, allow_none=True)
    current_uses = fields.Integer(required=True)
    applicable_to = fields.List(fields.UUID(), required=True, allow_none=True)
    valid_from = Timestamp(required=True, allow_none=True)
    expires_at = Timestamp(required=True, allow_none=True)
    min_purchase = fields.Nested(MoneySchema, required=True, allow_none=True)
    user_restrictions = fields.Dict(required=True)
    is_active = fields.Boolean(required=True)
    batch_id = fields.UUID(required=True, allow_none=True)


class AdminPromoPageSchema(PageSchema):
    items = fields.List(fields.Nested(AdminPromoSchema), required=True)


class TermsArgs(Strict):
    """What a code gives and to whom, as the code and batch forms take them."""

    description = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=500)
    )
    discount_type = fields.String(
        required=True, validate=validate.OneOf([kind.value for kind in DiscountType])
    )
    discount_value = amount(
        Decimal("0.01"), required=True, metadata={"description": "Percent, or USD off"}
    )
    max_uses = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=100_000_000)
    )
    applicable_to = fields.List(
        fields.UUID(),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=MAX_APPLICABLE),
        metadata={"description": "Add-on ids; null or empty: every add-on"},
    )
    valid_from = TimestampArg(load_default=None, allow_none=True)
    expires_at = TimestampArg(load_default=None, allow_none=True)
    min_purchase_amount = amount(load_default=None, allow_none=True)
    tier = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "Only for shoppers on this subscription tier"},
    )
    first_purchase_only = fields.Boolean(load_default=False)
    once_per_user = fields.Boolean(load_default=False)
    is_active = fields.Boolean(load_default=True)

    @validates_schema(skip_on_field_errors=True)
    def check_terms(self, data: dict[str, Any], **kwargs: Any) -> None:
        problem = promos.value_problem(data["discount_type"], data["discount_value"])
        if problem:
            raise ValidationError(problem, "discount_value")
        problem = window_problem(data["valid_from"], data["expires_at"])
        if problem:
            raise ValidationError(problem, "expires_at")


def _code_problem(value: str) -> None:
    if not CODE.match(normalize_code(value)):
        raise ValidationError(CODE_MESSAGE)


class AdminPromoArgs(TermsArgs):
    code = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=50), _code_problem],
        metadata={"description": "Shoppers type it in any case; stored in capitals"},
    )


class PromoBatchArgs(TermsArgs):
    prefix = fields.String(
        load_default="",
        validate=[
            validate.Length(max=MAX_PREFIX),
            lambda value: _code_problem(value) if value.strip() else None,
        ],
        metadata={"description": f"Before {promos.RANDOM_CHARS} random characters"},
    )
    count = fields.Integer(required=True, validate=validate.Range(min=1, max=promos.MAX_BATCH))


class PromoBatchSchema(Strict):
    id = fields.UUID(required=True, metadata={"description": "List its codes with ?batch_id="})
    prefix = fields.String(required=True)
    count = fields.Integer(required=True)


def promo_body(code: PromotionalCode) -> dict[str, Any]:
    return {
        "id": code.id,
        "code": code.code,
        "description": code.description,
        "discount_type": code.discount_type,
        "discount_value": code.discount_value,
        "max_uses": code.max_uses,
        "current_uses": code.current_uses,
        "applicable_to": None if code.applicable_to is None else list(code.applicable_to),
        "valid_from": code.valid_from,
        "expires_at": code.expires_at,
        "min_purchase": None
        if code.min_purchase_amount is None
        else money(code.min_purchase_amount),
        "user_restrictions": dict(code.user_restrictions or {}),
        "is_active": code.is_active,
        "batch_id": code.batch_id,
    }


def _tagged(code: PromotionalCode, status: int = 200):
    return tagged(promo_body(code), promos.edit_token(code), status)


def _terms(args: dict[str, Any]) -> promos.PromoTerms:
    return promos.PromoTerms(
        discount_type=args["discount_type"],
        discount_value=args["discount_value"],
        description=(args["description"] or "").strip() or None,
        max_uses=args["max_uses"],
        applicable_to=tuple(dict.fromkeys(args["applicable_to"] or ())) or None,
        valid_from=args["valid_from"],
        expires_at=args["expires_at"],
        min_purchase_amount=args["min_purchase_amount"],
        first_purchase_only=args["first_purchase_only"],
        tier=args["tier"],
        once_per_user=args["once_per_user"],
        is_active=args["is_active"],
    )


@blp.get("/admin/promo-codes")
@blp.arguments(PromoListArgs, location="query")
@blp.response(200, AdminPromoPageSchema)
@documented(blp, security="staff", errors=(422,))
def list_promos(args: dict[str, Any]):
    """Every promo code (or a batch's), by code."""
    filters = promo_queries.PromoFilters(
        q=args["q"].strip(), status=args["status"], batch_id=args["batch_id"]
    )
    after = keyset_args(args, lambda token: Cursor.parse(token, str))
    page = promo_queries.promo_list(db.session(), filters, after, size=args["limit"])
    return page_body([promo_body(p) for p in page.rows], page.next_cursor)


@blp.get("/admin/promo-codes/<uuid:code_id>")
@blp.response(200, AdminPromoSchema)
@documented(blp, security="staff", errors=(404,))
def get_promo(code_id: uuid.UUID):
    """One promo code; its ETag is what an edit must send as If-Match."""
    found = promo_queries.promo(db.session(), code_id)
    return _tagged(or_404(found, "There is no promo code with this id."))


@blp.post("/admin/promo-codes")
@blp.arguments(AdminPromoArgs)
@blp.response(201, AdminPromoSchema)
@documented(blp, security="staff", errors=(415, 422))
def create_promo(args: dict[str, Any]):
    """Add a code (audited), stored in capitals; one that exists in any case is a 422 on
    `code`."""
    try:
        created = promos.create_code(db.session(), actor(), args["code"], _terms(args))
    except Refused as error:
        refused(error)
    return _tagged(created, 201)


@blp.put("/admin/promo-codes/<uuid:code_id>")
@blp.arguments(AdminPromoArgs)
@blp.response(200, AdminPromoSchema)
@blp.doc(parameters=[IF_MATCH_DOC])
@documented(blp, security="staff", errors=(404, 412, 415, 422, 428))
def update_promo(args: dict[str, Any], code_id: uuid.UUID):
    """Save a code and its terms (audited), `is_active: false` to switch it off; If-Match: its
    ETag as last read. `max_uses` below the uses so far is a 422."""
    token = if_match("promo code")
    try:
        saved = promos.update_code(
            db.session(), actor(), code_id, args["code"], _terms(args), token
        )
    except Refused as error:
        refused(error)
    return _tagged(saved)


@blp.post("/admin/promo-codes/batches")
@blp.arguments(PromoBatchArgs)
@blp.response(201, PromoBatchSchema)
@documented(blp, security="staff", errors=(415, 422))
def create_batch(args: dict[str, Any]):
    """Make `count` random codes (up to 100,000) sharing a prefix and terms, in one
    transaction with one audit row; list them with `GET /admin/promo-codes?batch_id=`."""
    try:
        made = promos.generate_batch(
            db.session(), actor(), args["prefix"], args["count"], _terms(args)
        )
    except Refused as error:
        refused(error)
    body = {"id": made.id, "prefix": made.prefix, "count": made.count}
    return body, 201, {"Cache-Control": "no-store"}
