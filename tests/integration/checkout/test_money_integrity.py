"""Never charged twice: one open checkout per shopper; fulfilment refunds what it cannot honour."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import delete

from marketplace.extensions import db
from marketplace.models import BillingOutboxEntry, CartItem
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.shoppers import sign_in
from tests.integration.checkout.fakes import event
from tests.integration.checkout.steps import (
    USER,
    async_succeeded,
    bought_twice,
    cart_count,
    checkout,
    holdings,
    open_checkout,
    paid_async_later,
    post_webhook,
    purchases,
    uses,
)


def of_session(session_id: str):
    [purchase] = [p for p in purchases() if p.checkout_session_id == session_id]
    return purchase


def open_sessions(fake_stripe) -> list[str]:
    return [sid for sid, s in fake_stripe.sessions.items() if s["status"] == "open"]


def test_a_new_checkout_expires_the_previous_one_and_releases_its_code(
    client, session, catalog, fake_stripe
):
    code = catalog.codes["LAUNCH2025"]
    before = uses(code)

    first = open_checkout(client, session, fake_stripe, catalog.tts, promo="LAUNCH2025")
    second_response = checkout(client, promo="LAUNCH2025")

    [second] = [sid for sid in fake_stripe.sessions if sid != first]
    assert second_response.status_code == 303
    assert fake_stripe.sessions[first]["status"] == "expired"
    assert open_sessions(fake_stripe) == [second]
    assert (of_session(first).status, of_session(first).failure_reason) == (
        "failed",
        "Replaced by a newer checkout.",
    )
    assert of_session(second).status == "pending"
    assert uses(code) == before + 1
    with pytest.raises(ValueError, match="expired"):
        fake_stripe.complete(first)  # Stripe refuses to take money on an expired session


def test_five_checkouts_in_a_row_hold_one_use_of_the_code(client, session, catalog, fake_stripe):
    code = catalog.codes["LAUNCH2025"]
    before = uses(code)
    put_in_cart(session, USER, catalog.tts)
    sign_in(client, USER)

    statuses = [checkout(client, promo="LAUNCH2025").status_code for _ in range(5)]

    assert statuses == [303] * 5
    assert len(open_sessions(fake_stripe)) == 1
    assert uses(code) == before + 1


def test_a_previous_checkout_paid_meanwhile_is_fulfilled_and_not_bought_again(
    client, session, catalog, fake_stripe
):
    first = open_checkout(client, session, fake_stripe, catalog.tts)
    paid = fake_stripe.complete(first)  # paid at Stripe; its webhook is still on the way

    response = checkout(client)

    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    assert len(fake_stripe.sessions) == 1  # no second session to pay
    assert [p.status for p in purchases()] == ["completed"]
    assert holdings()["unicorn-orator-tts"].status == "active"
    assert cart_count() == 0
    assert post_webhook(client, event("checkout.session.completed", paid)).status_code == 200
    assert [p.status for p in purchases()] == ["completed"]


def test_a_payment_for_an_add_on_already_held_is_refunded_automatically(
    client, session, catalog, fake_stripe, fake_lago
):
    first, second = bought_twice(client, session, catalog, fake_stripe)
    held = holdings()["unicorn-orator-tts"]
    second_subscription = fake_stripe.sessions[second]["subscription"]
    assert held.stripe_subscription_id == second_subscription

    # The bank debit of the first checkout clears after all: $9.99 moved a second time.
    assert async_succeeded(client, fake_stripe, first).status_code == 200

    first_purchase, second_purchase = of_session(first), of_session(second)
    assert (first_purchase.status, first_purchase.refund_amount) == ("refunded", Decimal("9.99"))
    assert "You already had Unicorn Orator - TTS" in first_purchase.refund_reason
    assert second_purchase.status == "completed"
    first_invoice = fake_stripe.sessions[first]["invoice"]
    [refund] = fake_stripe.refunds
    assert refund["payment_intent"] == fake_stripe.invoice_intents[first_invoice]
    assert refund["amount"] == 999
    [refund_request] = [r for r in fake_stripe.requests if r[1] == "/v1/refunds"]
    assert refund_request[3]["Idempotency-Key"] == f"refund-{first}-unhonoured"
    # The first checkout's subscription would bill again next month: it is cancelled.
    assert fake_stripe.subscriptions[fake_stripe.sessions[first]["subscription"]]["status"] == (
        "canceled"
    )
    assert fake_stripe.subscriptions[second_subscription]["status"] == "active"
    held = holdings()["unicorn-orator-tts"]
    assert (held.status, held.stripe_subscription_id) == ("active", second_subscription)

    page = client.get(f"/checkout/success?session_id={first}").get_data(as_text=True)
    assert "Your payment was refunded" in page
    assert "Refunded $9.99" in page and "You already had Unicorn Orator - TTS" in page

    # Stripe then reports the refund: recorded already, so nothing is refunded or suspended.
    charge = {
        "id": "ch_1",
        "object": "charge",
        "invoice": first_invoice,
        "payment_intent": refund["payment_intent"],
        "amount_refunded": 999,
    }
    post_webhook(client, event("charge.refunded", charge))
    assert (of_session(first).refund_amount, of_session(second).refund_amount) == (
        Decimal("9.99"),
        None,
    )
    assert holdings()["unicorn-orator-tts"].status == "active"


def test_a_refund_that_stripe_cannot_make_now_stays_owed(
    client, session, catalog, fake_stripe, fake_lago
):
    first, second = bought_twice(client, session, catalog, fake_stripe)
    fake_stripe.mode = "error"

    async_succeeded(client, fake_stripe, first)

    assert of_session(first).status == "refunded"
    owed = db.session.query(BillingOutboxEntry).filter_by(kind="stripe.refund").one()
    assert (owed.status, owed.attempts) == ("pending", 1)
    assert fake_stripe.refunds == []


def test_first_purchase_code_is_refused_before_payment_once_another_checkout_completed(
    client, session, catalog, fake_stripe
):
    first = open_checkout(client, session, fake_stripe, catalog.tts)
    fake_stripe.complete(first)  # paid; the webhook has not arrived
    put_in_cart(session, USER, catalog.stt)

    response = checkout(client, promo="FIRSTBUY")
    cart = client.get("/cart").get_data(as_text=True)

    assert response.headers["Location"] == "/cart"
    assert "This code is for your first purchase only." in cart
    assert len(fake_stripe.sessions) == 1
    assert [p.status for p in purchases()] == ["completed"]


def test_a_second_first_purchase_discount_is_refunded_in_full(
    client, session, catalog, fake_stripe, fake_lago
):
    code = catalog.codes["FIRSTBUY"]
    first = open_checkout(client, session, fake_stripe, catalog.tts)
    paid_async_later(fake_stripe, first)
    session.execute(delete(CartItem))
    put_in_cart(session, USER, catalog.stt)
    checkout(client, promo="FIRSTBUY")  # the first is released: no purchase completed yet
    [second] = [sid for sid in fake_stripe.sessions if sid != first]
    held_uses = uses(code)
    async_succeeded(client, fake_stripe, first)  # now the shopper has a completed purchase

    post_webhook(client, event("checkout.session.completed", fake_stripe.complete(second)))

    tts, stt = of_session(first), of_session(second)
    assert tts.status == "completed"
    assert (stt.status, stt.refund_amount) == ("refunded", stt.amount)
    assert stt.amount == Decimal("8.49")  # $9.99 less 15%
    assert "The code FIRSTBUY could not be honoured" in stt.refund_reason
    assert [r["amount"] for r in fake_stripe.refunds] == [849]
    assert "amanuensis-stt" not in holdings()
    assert uses(code) == held_uses - 1  # the use is given back
    assert cart_count() == 1  # still in the cart, to buy without the code
