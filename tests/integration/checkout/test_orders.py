"""Orders: one per checkout (and per renewal Stripe collects), numbered when paid, each line's
discounts itemised, shown on the success page and the purchases page."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Order, PricingRule
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.shoppers import sign_in
from tests.integration.checkout.fakes import event
from tests.integration.checkout.steps import (
    USER,
    checkout,
    holdings,
    open_checkout,
    post_webhook,
    purchases,
)

NUMBER = re.compile(r"MKT-\d{4}-(\d{6})")


def orders(user_id: str = USER) -> list[Order]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Order).where(Order.user_id == user_id).order_by(Order.created_at))
    )


def pay(client, fake_stripe, session_id: str) -> dict:
    paid = fake_stripe.complete(session_id)
    assert post_webhook(client, event("checkout.session.completed", paid)).status_code == 200
    return paid


def sequence_of(number: str) -> int:
    match = NUMBER.fullmatch(number)
    assert match, number
    return int(match.group(1))


def test_checkout_opens_a_pending_order_without_a_number(client, session, catalog, fake_stripe):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts, catalog.stt)

    [order] = orders()
    assert (order.status, order.number, order.paid_at) == ("pending", None, None)
    assert order.checkout_session_id == session_id
    assert (order.subtotal, order.total, order.tax) == (Decimal("19.98"), Decimal("19.98"), None)
    assert {p.order_id for p in purchases()} == {order.id}


def test_paying_numbers_the_order_and_records_the_payment(client, session, catalog, fake_stripe):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts, catalog.stt)
    paid = pay(client, fake_stripe, session_id)

    [order] = orders()
    assert order.status == "paid"
    assert NUMBER.fullmatch(order.number)
    assert order.number.startswith(f"MKT-{order.paid_at.year}-")
    assert order.payment_reference == paid["invoice"]
    assert (order.total, order.tax) == (Decimal("19.98"), None)
    # A redelivered event changes nothing, the number least of all.
    number = order.number
    post_webhook(client, event("checkout.session.completed", paid))
    assert orders()[0].number == number


def test_numbers_follow_payments_and_abandoned_checkouts_use_none(
    client, session, catalog, fake_stripe
):
    first = open_checkout(client, session, fake_stripe, catalog.tts)
    pay(client, fake_stripe, first)
    put_in_cart(session, USER, catalog.stt)
    checkout(client)
    abandoned = next(s for s in fake_stripe.sessions if s != first)
    post_webhook(
        client,
        event("checkout.session.expired", {**fake_stripe.sessions[abandoned], "status": "expired"}),
    )
    checkout(client)  # the expired checkout's line is still in the cart
    third = next(s for s in fake_stripe.sessions if s not in (first, abandoned))
    pay(client, fake_stripe, third)

    [expired] = [order for order in orders() if order.number is None]
    paid_first, paid_second = sorted(
        (order for order in orders() if order.number), key=lambda order: order.paid_at
    )
    assert expired.status == "expired"
    assert sequence_of(paid_second.number) == sequence_of(paid_first.number) + 1


def test_an_order_itemises_tier_bundle_and_promo_discounts(client, session, catalog, fake_stripe):
    session.add(
        PricingRule(add_on_id=catalog.tts.id, tier_code="pro", discount_percent=Decimal("10"))
    )
    put_in_cart(session, USER, catalog.tts, catalog.stt, catalog.presenton)
    sign_in(client, USER, tier="pro")
    checkout(client, "FRIEND50")
    [session_id] = fake_stripe.sessions
    pay(client, fake_stripe, session_id)

    [order] = orders()
    itemised = {
        line.add_on.slug: sorted((d.kind, d.label, d.amount) for d in line.discounts)
        for line in order.lines
    }
    assert itemised[catalog.tts.slug] == [
        ("bundle", "AI Productivity Bundle", Decimal("1.35")),
        ("promo", "Promo code FRIEND50", Decimal("1.55")),
        ("tier", "Pro tier price", Decimal("1.00")),
    ]
    # The two equal lines share the promo's odd cent by the engine's tie rule (lower id).
    others = [itemised[catalog.stt.slug], itemised[catalog.presenton.slug]]
    assert [kinds[0] for kinds in others] == [
        ("bundle", "AI Productivity Bundle", Decimal("1.50"))
    ] * 2
    assert sorted(kinds[1] for kinds in others) == [
        ("promo", "Promo code FRIEND50", Decimal("1.72")),
        ("promo", "Promo code FRIEND50", Decimal("1.73")),
    ]
    for line in order.lines:
        assert sum(d.amount for d in line.discounts) == line.discount_amount
    assert (order.subtotal, order.total) == (Decimal("29.97"), Decimal("19.62"))


def test_a_refund_webhook_makes_the_order_partially_then_wholly_refunded(
    client, session, catalog, fake_stripe
):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts, catalog.stt)
    paid = pay(client, fake_stripe, session_id)

    def refunded(cents: int) -> dict:
        charge = {"id": "ch_1", "object": "charge", "amount": 1998, "amount_refunded": cents}
        return event("charge.refunded", {**charge, "invoice": paid["invoice"]})

    post_webhook(client, refunded(999))
    [order] = orders()
    assert order.status == "partially_refunded"
    number = order.number
    post_webhook(client, refunded(1998))
    [order] = orders()
    assert (order.status, order.number) == ("refunded", number)


def test_a_declined_payment_fails_the_order(client, session, catalog, fake_stripe):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts)
    failed = event("checkout.session.async_payment_failed", {**fake_stripe.sessions[session_id]})
    post_webhook(client, failed)

    [order] = orders()
    assert (order.status, order.number) == ("failed", None)


def test_the_success_page_shows_the_order_number_and_links_the_receipt(
    client, session, catalog, fake_stripe
):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts)
    fake_stripe.complete(session_id)

    page = client.get(f"/checkout/success?session_id={session_id}")

    [order] = orders()
    assert page.status_code == 200
    assert f"Your order number is <strong>{order.number}</strong>" in page.text
    assert f'href="/account/orders/{order.id}"' in page.text
    assert f'href="/account/orders/{order.id}.pdf"' in page.text


def test_the_purchases_page_lists_orders_with_their_lines_and_receipts(
    client, session, catalog, fake_stripe
):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts, catalog.stt)
    pay(client, fake_stripe, session_id)
    put_in_cart(session, USER, catalog.bolt)
    checkout(client)  # left open: listed, awaiting payment, no receipt

    page = client.get("/account/purchases")
    paid_only = client.get("/account/purchases?status=paid")
    old_link = client.get("/account/purchases?status=completed")

    [paid] = [order for order in orders() if order.number]
    [open_one] = [order for order in orders() if order.number is None]
    assert page.status_code == 200
    assert page.text.count('<li class="order">') == 2
    assert f'Order <span class="nowrap">{paid.number}</span>' in page.text
    assert "Checkout, not paid" in page.text
    assert "Awaiting payment" in page.text and "$19.98" in page.text
    for name in ("Unicorn Orator - TTS", "Amanuensis - STT", "Bolt - AI Dev Environment"):
        assert name in page.text
    assert f'href="/account/orders/{paid.id}"' in page.text
    assert f'href="/account/orders/{open_one.id}"' not in page.text
    for filtered in (paid_only, old_link):
        assert filtered.status_code == 200
        assert filtered.text.count('<li class="order">') == 1 and paid.number in filtered.text


@pytest.mark.parametrize(
    "path",
    [
        "/account/orders/not-a-uuid",
        "/account/orders/not-a-uuid.pdf",
        f"/account/orders/{uuid.uuid4()}",
        f"/account/orders/{uuid.uuid4()}.pdf",
        f"/account/purchases/{uuid.uuid4()}",
        "/account/orders/%00",
    ],
)
def test_bad_order_ids_are_404(client, path):
    sign_in(client, USER)

    assert client.get(path).status_code in (400, 404)


def test_an_unpaid_order_has_no_receipt(client, session, catalog, fake_stripe):
    open_checkout(client, session, fake_stripe, catalog.tts)
    [order] = orders()

    assert client.get(f"/account/orders/{order.id}").status_code == 404
    assert client.get(f"/account/orders/{order.id}.pdf").status_code == 404


def test_a_checkout_stripe_refused_leaves_no_order(client, session, catalog, fake_stripe):
    fake_stripe.mode = "error"

    put_in_cart(session, USER, catalog.tts)
    sign_in(client, USER)
    response = checkout(client, "FRIEND50")

    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    assert purchases() == [] and orders() == []


# Renewals the provider collects -------------------------------------------------------------


def renewal_paid_for(client, session, catalog, fake_stripe, *add_ons) -> tuple[dict, dict]:
    """USER's subscription of `add_ons`, paid; then Stripe's `invoice.paid` for its renewal
    (not delivered yet)."""
    paid = pay(client, fake_stripe, open_checkout(client, session, fake_stripe, *add_ons))
    period_end = int((datetime.now(UTC) + timedelta(days=61)).timestamp())
    return paid, fake_stripe.pay_renewal(paid["subscription"], period_end)


def test_a_renewal_stripe_collects_is_a_paid_order_with_a_line_per_add_on(
    client, session, catalog, fake_stripe
):
    paid, renewal = renewal_paid_for(
        client, session, catalog, fake_stripe, catalog.tts, catalog.stt
    )
    invoice = renewal["data"]["object"]

    assert post_webhook(client, renewal).status_code == 200

    [first, renewed] = sorted(orders(), key=lambda order: order.invoice_id is not None)
    assert renewed.number is not None and sequence_of(renewed.number) > sequence_of(first.number)
    assert (renewed.status, renewed.invoice_id, renewed.checkout_session_id) == (
        "paid", invoice["id"], None,
    )  # fmt: skip
    assert renewed.payment_reference == invoice["payment_intent"]
    assert (renewed.subtotal, renewed.tax, renewed.total) == (
        Decimal("19.98"), None, Decimal("19.98"),
    )  # fmt: skip
    lines = sorted(
        (p.add_on.slug, p.amount, p.billing_type, p.status, p.stripe_payment_id)
        for p in purchases()
        if p.order_id == renewed.id
    )
    assert lines == sorted(
        (add_on.slug, Decimal("9.99"), "monthly", "completed", invoice["payment_intent"])
        for add_on in (catalog.tts, catalog.stt)
    )
    page = client.get("/account/purchases")
    assert page.text.count('<li class="order">') == 2
    assert renewed.number in page.text
    receipt = client.get(f"/account/orders/{renewed.id}")
    assert receipt.status_code == 200
    assert renewed.number in receipt.text and invoice["payment_intent"] in receipt.text


def test_a_renewal_delivered_again_under_any_event_id_is_one_order(
    client, session, catalog, fake_stripe
):
    _, renewal = renewal_paid_for(client, session, catalog, fake_stripe, catalog.tts)

    for delivery in (renewal, renewal, {**renewal, "id": "evt_replayed_by_hand"}):
        assert post_webhook(client, delivery).status_code == 200

    assert len(orders()) == 2
    assert len(purchases()) == 2  # the checkout's line and the renewal's


def renewal_with_items_changed_at_stripe(client, session, catalog, fake_stripe, *, price, extra):
    """USER's TTS subscription renewed after its item's price became `price` cents and, with
    `extra`, an item for nothing the shop sold was added to it, both in the Stripe dashboard."""
    paid = pay(client, fake_stripe, open_checkout(client, session, fake_stripe, catalog.tts))
    items = fake_stripe.subscriptions[paid["subscription"]]["items"]
    items[0]["price"]["unit_amount"] = price
    if extra:
        items.append(
            {**items[0], "id": "si_at_stripe", "price": {**items[0]["price"], "unit_amount": 500}}
        )
    period_end = int((datetime.now(UTC) + timedelta(days=61)).timestamp())
    assert (
        post_webhook(client, fake_stripe.pay_renewal(paid["subscription"], period_end)).status_code
        == 200
    )
    return [order for order in orders() if order.invoice_id]


def test_a_renewal_records_what_the_invoice_charged(client, session, catalog, fake_stripe):
    [renewed] = renewal_with_items_changed_at_stripe(
        client, session, catalog, fake_stripe, price=1249, extra=False
    )

    [line] = [p for p in purchases() if p.order_id == renewed.id]
    assert (line.add_on_id, line.amount, renewed.total) == (
        catalog.tts.id, Decimal("12.49"), Decimal("12.49"),
    )  # fmt: skip


def test_a_renewal_line_for_nothing_held_is_left_out(client, session, catalog, fake_stripe):
    [renewed] = renewal_with_items_changed_at_stripe(
        client, session, catalog, fake_stripe, price=999, extra=True
    )

    [line] = [p for p in purchases() if p.order_id == renewed.id]
    assert (line.add_on_id, line.amount, renewed.total) == (
        catalog.tts.id, Decimal("9.99"), Decimal("9.99"),
    )  # fmt: skip


def test_a_renewal_whose_lines_match_nothing_renews_and_records_no_order(
    client, session, catalog, fake_stripe
):
    # Two lines left over for one add-on: which one renewed it is not known, so neither counts.
    assert (
        renewal_with_items_changed_at_stripe(
            client, session, catalog, fake_stripe, price=1249, extra=True
        )
        == []
    )
    assert holdings()[catalog.tts.slug].expires_at > datetime.now(UTC) + timedelta(days=60)


def test_a_credit_on_a_renewal_invoice_is_no_line(client, session, catalog, fake_stripe):
    _, renewal = renewal_paid_for(client, session, catalog, fake_stripe, catalog.tts)
    lines = renewal["data"]["object"]["lines"]["data"]
    lines.append({**lines[0], "id": "il_credit", "amount": -250, "subscription_item": None})

    assert post_webhook(client, renewal).status_code == 200

    [renewed] = [order for order in orders() if order.invoice_id]
    assert [p.amount for p in purchases() if p.order_id == renewed.id] == [Decimal("9.99")]


def test_a_refund_of_a_renewal_finds_its_lines(client, session, catalog, fake_stripe):
    _, renewal = renewal_paid_for(client, session, catalog, fake_stripe, catalog.tts)
    post_webhook(client, renewal)
    intent = renewal["data"]["object"]["payment_intent"]

    post_webhook(client, fake_stripe.refunded(intent, 999, refund_id="re_renewal"))

    [first, renewed] = sorted(orders(), key=lambda order: order.invoice_id is not None)
    assert (first.status, renewed.status) == ("paid", "refunded")
    [line] = [p for p in purchases() if p.order_id == renewed.id]
    assert (line.status, line.refund_amount) == ("refunded", Decimal("9.99"))
