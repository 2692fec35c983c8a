"""A shopper's own cart and checkout, with the user's token: the cart page's services and its
priced summary (marketplace/cart, quoting, checkout)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from marshmallow import fields, validate

from marketplace import payments, quoting
from marketplace.api import access
from marketplace.api.idempotent import HEADER_DOC, idempotent
from marketplace.api.operations import blueprint, documented
from marketplace.api.problems import refuse
from marketplace.api.quotes import QuoteSchema, quote_body
from marketplace.api.schemas import Strict
from marketplace.cart import promo_codes, service
from marketplace.checkout import errors as checkout_errors
from marketplace.checkout import service as checkout
from marketplace.checkout.routes import external_url, payment_provider
from marketplace.extensions import db, limiter
from marketplace.models.cart import MAX_QUANTITY
from marketplace.payments.breaker import Refused, stripe_admission
from marketplace.promotions.service import MAX_CODE_LENGTH

blp = blueprint("Cart", "The caller's own cart and checkout (a user's token).", access.require_user)


class CartLineSchema(Strict):
    id = fields.UUID(required=True, metadata={"description": "The cart line (item) id"})
    add_on_id = fields.UUID(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    price_changed = fields.Boolean(
        required=True, metadata={"description": "The price moved since it was added"}
    )


class CartSchema(Strict):
    items = fields.List(fields.Nested(CartLineSchema), required=True)
    summary = fields.Nested(QuoteSchema, required=True)


class AddItemArgs(Strict):
    add_on_id = fields.UUID(required=True)
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_QUANTITY))


class QuantityArgs(Strict):
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class PromoArgs(Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=MAX_CODE_LENGTH))


class CheckoutArgs(Strict):
    """Nothing to send: the cart and its promo code are checked out as they are."""


class CheckoutSchema(Strict):
    session_id = fields.String(required=True)
    url = fields.URL(required=True, metadata={"description": "Send the shopper here to pay"})


def _owner() -> str:
    return access.require_user().subject


def cart_body() -> dict[str, Any]:
    """The caller's cart priced now, as the cart page prices it (with the code applied there
    too: one record per user)."""
    caller = access.require_user()
    session = db.session()
    shopper = caller.shopper()
    view = quoting.quote_cart(
        session, shopper, caller.subject, promo_codes.applied_code(session, shopper)
    )
    promo_codes.drop_if_rejected(session, shopper, view)  # said once, in this summary
    return {
        "items": [
            {
                "id": line.item.id,
                "add_on_id": line.add_on.id,
                "slug": line.add_on.slug,
                "name": line.add_on.name,
                "quantity": line.item.quantity,
                "price_changed": line.price_changed_from is not None,
            }
            for line in view.lines
        ],
        "summary": quote_body(view.quote, view.promo_code),
    }


def _refused(error: service.CartError) -> None:
    refuse(error.status, error.message)


@blp.get("/me/cart")
@blp.response(200, CartSchema)
@documented(blp, security="user")
def get_cart():
    """The caller's cart with the same priced summary as the cart page."""
    return cart_body(), 200, {"Cache-Control": "no-store"}


@blp.post("/me/cart/items")
@blp.arguments(AddItemArgs)
@blp.response(201, CartSchema)
@documented(blp, security="user", errors=(404, 409, 415, 422))
def add_item(args: dict[str, Any]):
    """Add an add-on (or more of one already in the cart; a line holds at most 100)."""
    try:
        service.add_item(db.session(), _owner(), args["add_on_id"], args["quantity"])
    except service.CartError as error:
        _refused(error)
    return cart_body()


@blp.put("/me/cart/items/<uuid:item_id>")
@blp.arguments(QuantityArgs)
@blp.response(200, CartSchema)
@documented(blp, security="user", errors=(404, 415, 422))
def set_quantity(args: dict[str, Any], item_id: uuid.UUID):
    """Set the quantity of one of the caller's cart lines."""
    try:
        service.update_quantity(db.session(), _owner(), item_id, args["quantity"])
    except service.CartError as error:
        _refused(error)
    return cart_body()


@blp.delete("/me/cart/items/<uuid:item_id>")
@blp.response(200, CartSchema)
@documented(blp, security="user", errors=(404,))
def remove_item(item_id: uuid.UUID):
    """Remove one of the caller's cart lines."""
    try:
        service.remove_item(db.session(), _owner(), item_id)
    except service.CartError as error:
        _refused(error)
    return cart_body()


@blp.delete("/me/cart")
@blp.response(200, CartSchema)
@documented(blp, security="user")
def clear_cart():
    """Empty the caller's cart (a promo code stays applied for the next add-ons)."""
    service.clear(db.session(), _owner())
    return cart_body()


def _promo_limit() -> str:
    return current_app.config["PROMO_RATE_LIMIT"]


@blp.put("/me/cart/promo")
@limiter.limit(_promo_limit, key_func=lambda: f"promo-api:{_owner()}")
@blp.arguments(PromoArgs)
@blp.response(200, CartSchema)
@documented(blp, security="user", errors=(415, 422))
def apply_promo(args: dict[str, Any]):
    """Apply a promo code to the cart, or say why it can't be used (422)."""
    caller = access.require_user()
    session = db.session()
    view = quoting.quote_cart(session, caller.shopper(), caller.subject, args["code"].strip())
    if view.quote.promo is None:
        rejection = view.quote.promo_rejection
        message = rejection.message if rejection else "This code can't be applied."
        refuse(422, message, errors={"code": [message]})
    promo_codes.remember(session, caller.shopper(), view.quote.promo.code)
    return cart_body()


@blp.delete("/me/cart/promo")
@blp.response(200, CartSchema)
@documented(blp, security="user")
def remove_promo():
    """Take the promo code off the cart."""
    promo_codes.forget(db.session(), access.require_user().shopper())
    return cart_body()


@blp.post("/me/checkout")
@idempotent("checkout")
@blp.arguments(CheckoutArgs)
@blp.response(201, CheckoutSchema)
@blp.doc(parameters=[HEADER_DOC])
@documented(blp, security="user", errors=(409, 415, 422, 502, 503))
def start_checkout(args: dict[str, Any]):
    """Check the cart out: re-priced on the server; answers the payment page to send the
    shopper to. `Idempotency-Key` required."""
    caller = access.require_user()
    session = db.session()
    try:
        provider = payment_provider()
    except payments.PaymentsUnavailable:
        refuse(503, "Payments are not available right now. Please try again later.")
    urls = checkout.Urls(
        success=external_url("checkout.success") + "?session_id={CHECKOUT_SESSION_ID}",
        cancel=external_url("checkout.cancelled"),
    )
    code = promo_codes.applied_code(session, caller.shopper())
    try:
        with stripe_admission(current_app.config):
            started = checkout.start(session, caller.shopper(), code, provider, urls)
    except Refused:  # while the payment provider hangs, a checkout is turned away at once
        refuse(503, checkout_errors.PROVIDER_UNREACHABLE)
    except checkout_errors.CheckoutError as error:
        refuse(error.status, error.message)
    return {"session_id": started.id, "url": started.url or urls.cancel}
