"""Cart pages and mutations: parse with a form, call the service, render page or partial."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    has_request_context,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import SQLAlchemyError

from marketplace import outages, quoting
from marketplace.cart import promo_codes, queries, service
from marketplace.cart.forms import AddBundleForm, AddItemForm, PromoForm, QuantityForm
from marketplace.current import current_shopper, ensure_cart_owner
from marketplace.extensions import db, limiter
from marketplace.pricing.money import format_money
from marketplace.redirects import referrer_path
from marketplace.rendering import go_to, render, render_partial, trigger, wants_partial

bp = Blueprint("cart", __name__)

CART_CHANGED = "cart-changed"
TOO_MANY_ATTEMPTS = "Too many promo code attempts. Please wait a minute and try again."


# Shared pieces -------------------------------------------------------------------------------


@bp.app_context_processor
def cart_count_context() -> dict[str, int | None]:
    """Give every full page `cart_count` (sum of quantities) with one query, none without a cart.

    htmx partials skip it (the badge view passes its own count). The cart is never worth an
    error page: when the count can't be read (the database is down) it is None, and the badge
    shows no number rather than claiming an empty cart.
    """
    if not has_request_context() or wants_partial():
        return {}
    owner = current_shopper().cart_owner
    if owner is None:
        return {"cart_count": 0}
    return {"cart_count": _count_or_none(owner)}


def _count_or_none(owner: str) -> int | None:
    """The cart's count, or None (logged) when the database can't say."""
    if outages.known_unavailable():
        return None
    try:
        return queries.cart_count(db.session(), owner)
    except SQLAlchemyError as error:
        outage = outages.is_database_outage(error)
        current_app.logger.warning("cart badge count failed", exc_info=not outage)
        if outage:
            outages.mark_unavailable()
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass  # the connection is gone; the request's teardown discards it
        return None


def _promo_limit() -> str:
    return current_app.config.get("PROMO_RATE_LIMIT", "10 per minute")


def _promo_ip_limit() -> str:
    return current_app.config.get("PROMO_IP_RATE_LIMIT", "30 per minute")


def _promo_attempt_key() -> str:
    """Key promo attempts by IP and the shopper's session identity (user or anonymous id)."""
    shopper = current_shopper()
    return f"promo:{get_remote_address()}:{shopper.user_id or shopper.anonymous_id or '-'}"


def _promo_ip_key() -> str:
    """Key promo attempts by IP alone, so dropping the session cookie does not reset the limit."""
    return f"promo-ip:{get_remote_address()}"


def _render_cart(*, status: int = 200, view: quoting.CartView | None = None, **context):
    """Render the cart page or its summary partial, re-validating the kept promo code."""
    shopper = current_shopper()
    session = db.session()
    if view is None:
        code = promo_codes.applied_code(session, shopper)
        view = quoting.quote_cart(session, shopper, shopper.cart_owner, code)
    reason = promo_codes.drop_if_rejected(session, shopper, view)
    if reason:
        context.setdefault("promo_notice", f"The code {view.promo_code} was removed: {reason}")
    return render("cart/page.html", "cart/_summary.html", status=status, view=view, **context)


def _changed(message: str, *, view: quoting.CartView | None = None):
    """Answer a successful mutation: the partial plus `cart-changed`, or a 303 back to /cart."""
    if wants_partial():
        return trigger(_render_cart(view=view, notice=message), CART_CHANGED)
    flash(message, "success")
    return redirect(url_for("cart.show"), 303)


def _failed(status: int, message: str, **context):
    """Answer a refused mutation where the shopper acted; nothing changed, so no event."""
    context.setdefault("error", message)
    return _render_cart(status=status, **context)


def _added_response(result: service.Added):
    if wants_partial():
        return trigger(render_partial("cart/_added.html", added=result), CART_CHANGED)
    flash(result.message, "success")
    return redirect(_back_or_cart(), 303)


def _add_failed(status: int, message: str):
    if wants_partial():
        return render_partial("cart/_added.html", status=status, error=message)
    return _failed(status, message)


def _back_or_cart() -> str:
    """The page the shopper added from (same site only), else the cart."""
    return referrer_path(default=url_for("cart.show"))


# Views ---------------------------------------------------------------------------------------


@bp.get("/cart")
def show():
    """Show the shopper's cart, priced now."""
    return _render_cart()


@bp.get("/cart/badge")
def badge():
    """Render the header's cart badge (refreshed by htmx after a change)."""
    owner = current_shopper().cart_owner
    count = _count_or_none(owner) if owner else 0
    response = make_response(render_template("cart/_badge.html", cart_count=count))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/cart/items")
def add():
    """Add an add-on to the cart."""
    form = AddItemForm()
    if not form.validate():
        status = 400 if form.add_on_id.errors else 422
        return _add_failed(status, form.first_error())
    try:
        result = service.add_item(
            db.session(), ensure_cart_owner(), form.add_on_id.parsed, form.quantity.number
        )
    except service.CartError as error:
        return _add_failed(error.status, error.message)
    return _added_response(result)


@bp.post("/cart/bundles")
def add_bundle():
    """Add every add-on of a bundle the shopper doesn't already have."""
    form = AddBundleForm()
    if not form.validate():
        return _add_failed(400, form.first_error())
    try:
        result = service.add_bundle(db.session(), ensure_cart_owner(), form.bundle_id.parsed)
    except service.CartError as error:
        return _add_failed(error.status, error.message)
    return _added_response(result)


@bp.post("/cart/items/<uuid:item_id>")
def update(item_id):
    """Set the quantity of a cart line."""
    form = QuantityForm()
    if not form.validate():
        return _failed(422, form.first_error(), line_errors={item_id: form.first_error()})
    try:
        line = service.update_quantity(
            db.session(), current_shopper().cart_owner, item_id, form.quantity.number
        )
    except service.CartError as error:
        return _failed(error.status, error.message)
    return _changed(f"{line.name}: quantity is now {line.quantity}.")


@bp.post("/cart/items/<uuid:item_id>/delete")
def remove(item_id):
    """Remove a cart line."""
    try:
        name = service.remove_item(db.session(), current_shopper().cart_owner, item_id)
    except service.CartError as error:
        return _failed(error.status, error.message)
    return _changed(f"Removed {name} from your cart.")


@bp.get("/cart/clear")
def confirm_clear():
    """Ask before emptying the cart: its own page without JS, a step in place for htmx."""
    shopper = current_shopper()
    view = quoting.quote_cart(db.session(), shopper, shopper.cart_owner, None)
    if view.is_empty:
        return go_to(url_for("cart.show"))
    return render("cart/clear.html", "cart/_clear.html", view=view)


@bp.post("/cart/clear")
def clear():
    """Empty the cart."""
    service.clear(db.session(), current_shopper().cart_owner)
    return _changed("Your cart is empty now.")


@bp.post("/cart/promo")
@limiter.limit(_promo_limit, key_func=_promo_attempt_key, error_message=TOO_MANY_ATTEMPTS)
@limiter.limit(_promo_ip_limit, key_func=_promo_ip_key, error_message=TOO_MANY_ATTEMPTS)
def apply_promo():
    """Apply a promo code to the cart, or say why it can't be used."""
    form = PromoForm()
    if not form.validate():
        return _render_cart(
            status=422, promo_error=form.first_error(), promo_attempt=form.code.data
        )
    shopper = current_shopper()
    code = (form.code.data or "").strip()  # InputRequired: never empty here
    view = quoting.quote_cart(db.session(), shopper, shopper.cart_owner, code)
    if view.quote.promo is None:
        rejection = view.quote.promo_rejection
        message = rejection.message if rejection else "This code can't be applied."
        return _render_cart(status=422, promo_error=message, promo_attempt=form.code.data)
    promo_codes.remember(db.session(), shopper, view.quote.promo.code)
    return _changed(
        f"Code {view.quote.promo.code} applied: you save "
        f"{format_money(view.quote.promo.discount)} on today's payment.",
        view=view,
    )


@bp.post("/cart/promo/delete")
def remove_promo():
    """Take the promo code off the cart."""
    code = promo_codes.forget(db.session(), current_shopper())
    return _changed(f"Removed the code {code}." if code else "No promo code was applied.")


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(error: RateLimitExceeded):
    return _render_cart(status=429, promo_error=TOO_MANY_ATTEMPTS)
