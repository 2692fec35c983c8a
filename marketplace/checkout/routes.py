"""Checkout pages and Stripe's webhook: parse, call the service, render or redirect."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from marketplace import payments, request_guard
from marketplace.after_response import deliver_after_response
from marketplace.cart import promo_codes
from marketplace.checkout import errors, service, settlement, webhooks
from marketplace.current import current_shopper
from marketplace.extensions import csrf, db
from marketplace.payments.breaker import Refused, stripe_admission
from marketplace.payments.events import MalformedEvent
from marketplace.rendering import go_to
from marketplace.shopper import SignedInShopper
from marketplace.vocabulary import PurchaseStatus

bp = Blueprint("checkout", __name__)

OPEN_SESSION_KEY = "checkout_session_id"
TEST_PAYMENT_ACTIONS = ("pay", "decline", "cancel")


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for the provider to send the shopper back to."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def payment_provider() -> payments.PaymentProvider:
    return payments.provider_for(
        current_app.config, lambda sid: external_url("checkout.test_payment", session_id=sid)
    )


def _back_to_cart(message: str, category: str = "error"):
    flash(message, category)
    return go_to(url_for("cart.show"))


def _login_url() -> str:
    return url_for("auth.login", next=url_for("cart.show"))


@bp.post("/checkout")
def start():
    """Check the cart out and send the shopper to the payment page."""
    shopper = current_shopper().signed_in()
    if shopper is None:
        flash("Sign in to check out; your cart will be waiting.", "info")
        return go_to(_login_url())
    try:
        provider = payment_provider()
    except payments.PaymentsUnavailable:
        return _back_to_cart("Payments are not available right now. Please try again later.")
    urls = service.Urls(
        success=external_url("checkout.success") + "?session_id={CHECKOUT_SESSION_ID}",
        cancel=external_url("checkout.cancelled"),
    )
    code = promo_codes.applied_code(db.session(), shopper)
    try:
        # While Stripe hangs, a checkout without a call slot is turned away before any work.
        with stripe_admission(current_app.config):
            started = service.start(db.session(), shopper, code, provider, urls)
    except Refused:
        return _back_to_cart(errors.PROVIDER_UNREACHABLE)
    except errors.CheckoutError as error:
        return _back_to_cart(error.message)
    session[OPEN_SESSION_KEY] = started.id
    return go_to(started.url or urls.cancel)  # a session without a page to pay on: come back


@bp.get("/checkout/success")
def success():
    """Back from the payment page: confirm the payment and show the receipt."""
    shopper = current_shopper().signed_in()
    if shopper is None:
        return redirect(_login_url(), 303)
    try:
        provider = payment_provider()
    except payments.PaymentsUnavailable:
        abort(404)
    try:
        receipt, outcome = settlement.confirm(
            db.session(), shopper, request.args.get("session_id", ""), provider
        )
    except errors.NotFound:
        abort(404)
    if receipt.status == PurchaseStatus.COMPLETED:
        session.pop(OPEN_SESSION_KEY, None)
    response = make_response(render_template("checkout/success.html", receipt=receipt))
    return deliver_after_response(response, outcome.outbox_ids)


@bp.get("/checkout/cancelled")
def cancelled():
    """Back from the payment page unpaid: offer to cancel the checkout, change nothing by itself.

    A cross-site link can reach this page, so only a POST (or the id of the shopper's own open
    session, which no other site knows) releases the checkout.
    """
    shopper = current_shopper().signed_in()
    open_session = session.get(OPEN_SESSION_KEY)
    if shopper is not None and open_session and request.args.get("session_id") == open_session:
        return _cancel(shopper, open_session)
    still_open = bool(
        shopper is not None
        and open_session
        and settlement.is_open(settlement.purchases_of(db.session(), shopper.user_id, open_session))
    )
    return render_template(
        "checkout/cancelled.html", open_session=open_session if still_open else None
    )


@bp.post("/checkout/cancel")
def cancel():
    """Cancel one of the shopper's open checkouts: its session closes, its promo use returns."""
    shopper = current_shopper().signed_in()
    session_id = request.form.get("session_id", "")
    if shopper is None or not settlement.purchases_of(db.session(), shopper.user_id, session_id):
        abort(404)
    return _cancel(shopper, session_id)


def _cancel(shopper: SignedInShopper, session_id: str):
    try:
        settlement.cancel(db.session(), shopper, session_id, payment_provider())
    except payments.PaymentsUnavailable:
        pass
    if session.get(OPEN_SESSION_KEY) == session_id:
        session.pop(OPEN_SESSION_KEY)
    flash("Checkout cancelled: nothing was charged, and any promo code is free to use.", "info")
    return redirect(url_for("checkout.cancelled"), 303)


@bp.get("/checkout/test-payment/<session_id>")
def test_payment(session_id: str):
    """Show the offline test-payment page of one of the shopper's checkouts."""
    if not payments.offline_allowed(current_app.config):
        abort(404)
    purchases = settlement.purchases_of(db.session(), current_shopper().user_id, session_id)
    if not purchases:
        abort(404)
    return render_template(
        "checkout/test_payment.html",
        session_id=session_id,
        purchases=purchases,
        total=settlement.amount_charged(purchases),
        settled=all(p.status != PurchaseStatus.PENDING for p in purchases),
    )


@bp.post("/checkout/test-payment/<session_id>")
def settle_test_payment(session_id: str):
    """Pay, decline or cancel an offline test payment."""
    if not payments.offline_allowed(current_app.config):
        abort(404)
    action = request.form.get("action", "")
    if action not in TEST_PAYMENT_ACTIONS:
        abort(400)
    shopper = current_shopper().signed_in()
    if shopper is None:
        abort(404)  # nobody's checkout: not found, as for someone else's
    try:
        result, outcome = settlement.settle_test_payment(db.session(), shopper, session_id, action)
    except errors.NotFound:
        abort(404)
    except errors.CheckoutError as error:
        return _back_to_cart(error.message)
    if result == "paid":
        response = redirect(url_for("checkout.success", session_id=session_id), 303)
        return deliver_after_response(response, outcome.outbox_ids)
    session.pop(OPEN_SESSION_KEY, None)
    if result == "decline":
        return _back_to_cart(
            "The test payment was declined: nothing was charged. Your cart is as it was; "
            "you can try again."
        )
    return redirect(url_for("checkout.cancelled"), 303)


@bp.post("/webhooks/stripe")
@csrf.exempt
@request_guard.webhook  # raw signed body, at most MAX_WEBHOOK_BYTES; errors in JSON
def stripe_webhook():
    """Receive a signed Stripe event and apply it once."""
    try:
        event = payments.verify_webhook(
            request_guard.raw_body(),
            request.headers.get("Stripe-Signature"),
            current_app.config.get("STRIPE_WEBHOOK_SECRET"),
        )
    except payments.InvalidSignature:
        return {"error": "invalid signature"}, 400
    except MalformedEvent as error:
        current_app.logger.warning("refused a signed but malformed webhook event: %s", error)
        return {"error": f"malformed event: {error}"}, 400
    outcome = webhooks.handle(db.session(), event)
    return deliver_after_response(make_response({"received": True}), outcome.outbox_ids)
