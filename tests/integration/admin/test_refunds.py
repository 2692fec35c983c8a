"""Admin refunds through the HTTP stack against the local Stripe stand-in: full, partial per
line and per order, refused, repeated, followed by Stripe's webhook, by support."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace.billing import outbox
from marketplace.extensions import db
from marketplace.models import BillingOutboxEntry
from tests.fixtures.fakes import stripe_config
from tests.fixtures.shoppers import sign_in
from tests.integration.admin.refund_steps import (
    audit_rows,
    lines_of,
    page_state,
    paid_order,
    refund,
    refund_letters,
    refunded,
    refunds,
)
from tests.integration.checkout.fakes import event
from tests.integration.checkout.steps import USER, holdings, post_webhook


@pytest.fixture
def app_overrides(fake_stripe, fake_lago) -> dict:
    return stripe_config(fake_stripe, fake_lago)


@pytest.fixture
def order(client, session, catalog, fake_stripe):
    """USER's paid order: TTS ($9.99) and Brigade ($19.99), monthly, one Stripe payment."""
    return paid_order(client, session, fake_stripe, catalog.tts, catalog.brigade)


def stripe_refunds(fake_stripe) -> list[int]:
    return [r["amount"] for r in fake_stripe.refunds]


def test_full_refund_of_the_order_suspends_both_add_ons(admin_client, order, fake_stripe, catalog):
    response = refund(admin_client, order, reason="Charged by mistake")

    assert response.status_code == 303
    assert stripe_refunds(fake_stripe) == [2998]
    assert refunded(order) == [Decimal("9.99"), Decimal("19.99")]
    assert [line.status for line in lines_of(order)] == ["refunded", "refunded"]
    assert [line.refund_reason for line in lines_of(order)] == ["Charged by mistake"] * 2
    db.session.expire_all()
    assert db.session.get(type(order), order.id).status == "refunded"
    held = holdings()
    assert (held[catalog.tts.slug].status, held[catalog.brigade.slug].status) == (
        "suspended",
        "suspended",
    )
    [made] = refunds(order)
    assert (made.amount, made.reason, made.actor) == (
        Decimal("29.98"),
        "Charged by mistake",
        "admin-ada",
    )
    assert made.provider_refund_id == fake_stripe.refunds[0]["id"]
    page = admin_client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Refunded $29.98: the shopper gets an e-mail saying so." in page
    assert "Charged by mistake" in page and "admin-ada" in page
    assert "Nothing is left to refund on this order." in page


def test_partial_refund_of_one_line_keeps_its_add_on(admin_client, order, fake_stripe, catalog):
    brigade = lines_of(order)[1]
    response = refund(admin_client, order, line=brigade, amount="5.00", reason="Outage credit")

    assert response.status_code == 303
    assert stripe_refunds(fake_stripe) == [500]
    assert refunded(order) == [None, Decimal("5.00")]
    assert [line.status for line in lines_of(order)] == ["completed", "completed"]
    assert holdings()[catalog.brigade.slug].status == "active"
    db.session.expire_all()
    assert db.session.get(type(order), order.id).status == "partially_refunded"
    # A second partial refund of the same line: its own row, the line's total the sum.
    refund(admin_client, order, line=brigade, amount="14.99", reason="Closed the account")
    assert stripe_refunds(fake_stripe) == [500, 1499]
    assert refunded(order) == [None, Decimal("19.99")]
    assert sorted(r.amount for r in refunds(order)) == [Decimal("5.00"), Decimal("14.99")]
    assert holdings()[catalog.brigade.slug].status == "suspended"
    assert holdings()[catalog.tts.slug].status == "active"
    # The shopper's receipt shows it on the line, with the reason of the refund that closed it.
    receipt = refund_receipt(admin_client, order)
    assert "Closed the account" in receipt
    assert receipt.count("-$19.99") == 2  # the line's refund and the order's "Refunded" total


def refund_receipt(admin_client, order) -> str:
    shopper = sign_in(admin_client.application.test_client(), USER)
    response = shopper.get(f"/account/orders/{order.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_partial_order_refund_is_spread_over_what_each_line_has_left(
    admin_client, order, fake_stripe
):
    response = refund(admin_client, order, amount="10.00")

    assert response.status_code == 303
    assert stripe_refunds(fake_stripe) == [1000]
    # 10.00 over 9.99 and 19.99 in proportion: 3.33 and 6.67 (largest remainder).
    assert refunded(order) == [Decimal("3.33"), Decimal("6.67")]
    [made] = refunds(order)
    assert sorted(part.amount for part in made.lines) == [Decimal("3.33"), Decimal("6.67")]


def test_more_than_is_left_is_refused_with_the_amount_left(admin_client, order, fake_stripe):
    tts = lines_of(order)[0]
    refund(admin_client, order, line=tts, amount="4.00")

    response = refund(admin_client, order, line=tts, amount="6.00")

    assert response.status_code == 422
    assert "At most $5.99 is left to refund on this line; $6.00 is more than that." in (
        response.get_data(as_text=True)
    )
    assert stripe_refunds(fake_stripe) == [400]
    assert refunded(order) == [Decimal("4.00"), None]


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("-1", "Because", "Enter at least 0.01."),
        ("abc", "Because", "Not a valid decimal value."),
        ("1.00", "", "Say why: the shopper&#39;s e-mail and receipt show it."),
    ],
)
def test_bad_input_shows_the_form_with_the_field_message(
    admin_client, order, fake_stripe, amount, reason, message
):
    response = refund(admin_client, order, amount=amount, reason=reason)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert fake_stripe.refunds == []


def test_the_confirm_step_names_the_amount_and_refunds_nothing(admin_client, order, fake_stripe):
    response = refund(admin_client, order, amount="10.00", confirmed=False)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Yes, refund $10.00" in page
    assert 'name="confirmed" value="1"' in page
    assert fake_stripe.refunds == []
    assert refunds(order) == []


def test_htmx_gets_the_refund_panel_alone(admin_client, order):
    response = refund(
        admin_client, order, amount="10.00", confirmed=False, headers={"HX-Request": "true"}
    )

    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<section class="panel" id="refund"')
    assert "Yes, refund $10.00" in page


def test_double_submit_makes_one_stripe_refund(admin_client, order, fake_stripe):
    state = page_state(admin_client, order)

    first = refund(admin_client, order, amount="10.00", state=state)
    second = refund(admin_client, order, amount="10.00", state=state)

    assert (first.status_code, second.status_code) == (303, 303)
    assert stripe_refunds(fake_stripe) == [1000]
    assert len(refunds(order)) == 1
    assert refunded(order) == [Decimal("3.33"), Decimal("6.67")]
    page = admin_client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "This refund of $10.00 was made already; nothing more was refunded." in page


def test_another_refund_from_a_stale_page_is_a_conflict(admin_client, order, fake_stripe):
    state = page_state(admin_client, order)
    refund(admin_client, order, amount="10.00", state=state)

    response = refund(admin_client, order, amount="2.00", state=state)

    assert response.status_code == 409
    assert "This order&#39;s refunds changed since you opened it" in response.get_data(as_text=True)
    assert stripe_refunds(fake_stripe) == [1000]


def test_charge_refunded_after_the_admin_refund_counts_nothing_twice(
    admin_client, client, order, fake_stripe
):
    refund(admin_client, order, amount="10.00")
    letters_before = len(refund_letters())
    intent = fake_stripe.refunds[0]["payment_intent"]
    line = lines_of(order)[0]
    charge = {
        "id": "ch_1",
        "object": "charge",
        "amount": 2998,
        "amount_refunded": 1000,
        "invoice": line.stripe_payment_id,
        "payment_intent": intent,
    }

    assert post_webhook(client, event("charge.refunded", charge)).status_code == 200

    assert refunded(order) == [Decimal("3.33"), Decimal("6.67")]
    assert len(refund_letters()) == letters_before == 1
    [made] = refunds(order)  # the admin's: the webhook added no second row
    assert (made.actor, made.amount) == ("admin-ada", Decimal("10.00"))
    # A refund made later in the Stripe dashboard is still recorded (what goes beyond ours),
    # as a refund of its own, dated and named after the provider's refund.
    dashboard = {**charge, "amount_refunded": 1500, "refunds": {"data": [{"id": "re_dash"}]}}
    post_webhook(client, event("charge.refunded", dashboard))
    assert sum(refunded(order)) == Decimal("15.00")
    ours, theirs = refunds(order)
    assert ours.id == made.id
    assert (theirs.actor, theirs.reason, theirs.provider_refund_id, theirs.amount) == (
        "Stripe",
        "Refunded through Stripe.",
        "re_dash",
        Decimal("5.00"),
    )
    page = admin_client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "re_dash" in page and "Refunded through Stripe." in page


def test_a_refund_writes_the_audit_row_and_queues_the_letter(admin_client, order):
    brigade = lines_of(order)[1]
    refund(admin_client, order, line=brigade, amount="5.00", reason="Outage credit")

    [row] = audit_rows(order)
    assert (row.actor, row.actor_role, row.action) == ("admin-ada", "admin", "order.refund")
    assert row.before == {"refunded": {str(brigade.id): "0.00"}}
    assert row.after["refunded"] == {str(brigade.id): "5.00"}
    assert (row.after["amount"], row.after["reason"]) == ("5.00", "Outage credit")
    [letter] = refund_letters()
    assert (letter["amount"], letter["reason"], letter["add_ons"]) == (
        "5.00",
        "Outage credit",
        [brigade.add_on.name],
    )
    assert letter["to"] == "user1@example.com"


def test_cancel_too_cancels_the_subscription_through_the_shop(
    admin_client, order, fake_stripe, catalog
):
    tts = lines_of(order)[0]
    refund(admin_client, order, line=tts, reason="Did not work for them", cancel=True)

    held = holdings()[catalog.tts.slug]
    assert (held.status, held.auto_renew) == ("cancelled", False)
    assert held.cancellation_reason == "Did not work for them"
    assert holdings()[catalog.brigade.slug].status == "active"
    assert held.cancelled_at is not None
    # The two add-ons share one Stripe subscription: only TTS's item comes off it.
    [subscription] = fake_stripe.subscriptions
    assert list(fake_stripe.items_of(subscription).values()) == [str(catalog.brigade.id)]
    [letter] = cancelled_letters()
    assert (letter["add_on"], letter["reason"], letter["refunded"]) == (
        catalog.tts.name,
        "Did not work for them",
        "9.99",
    )


def cancelled_letters() -> list[dict]:
    db.session.expire_all()
    entries = db.session.scalars(
        select(BillingOutboxEntry).where(BillingOutboxEntry.kind == outbox.SEND_MAIL)
    )
    return [e.payload for e in entries if e.payload["message"] == "subscription_cancelled"]


def test_support_may_view_but_never_refund(support_client, admin_client, order, fake_stripe):
    page = support_client.get(f"/admin/orders/{order.id}")
    assert page.status_code == 200
    assert "Only an admin can refund an order." in page.get_data(as_text=True)
    state = page_state(admin_client, order)

    response = refund(support_client, order, amount="1.00", state=state)

    assert response.status_code == 403
    assert fake_stripe.refunds == []
    assert refunds(order) == []


def test_stripe_refusing_records_nothing(admin_client, order, fake_stripe):
    fake_stripe.mode = "error"

    response = refund(admin_client, order, amount="1.00")

    assert response.status_code == 502
    assert "The payment provider did not refund" in response.get_data(as_text=True)
    assert refunds(order) == [] and refunded(order) == [None, None]
    assert audit_rows(order) == []
