"""Stripe's events become outgoing events: delivered right after the webhook's response (the
after-response delivery), once per change even when Stripe sends an event twice."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from marketplace.models import UserAddOn
from tests.fixtures.webhook_receiver import WebhookReceiver
from tests.integration.checkout.fakes import event
from tests.integration.checkout.steps import USER, open_checkout, post_webhook
from tests.integration.events.conftest import endpoint_for


@pytest.fixture
def receiver(session):
    with WebhookReceiver() as running:
        endpoint_for(session, running)
        yield running


def bought(client, session, catalog, fake_stripe) -> dict:
    session_id = open_checkout(client, session, fake_stripe, catalog.tts)
    paid = fake_stripe.complete(session_id)
    post_webhook(client, event("checkout.session.completed", paid))
    return paid


def test_a_paid_checkout_is_announced_right_after_stripes_webhook(
    client, session, catalog, fake_stripe, receiver
):
    paid = bought(client, session, catalog, fake_stripe)
    post_webhook(client, event("checkout.session.completed", paid))  # Stripe retries

    assert [e["type"] for e in receiver.events()] == [
        "purchase.completed",
        "subscription.activated",
        "entitlements.updated",
    ]
    assert {e["data"]["user_id"] for e in receiver.events()} == {USER}


def test_a_refund_in_full_is_announced_with_the_entitlements_it_ends(
    client, session, catalog, fake_stripe, receiver
):
    paid = bought(client, session, catalog, fake_stripe)
    refunded = event(
        "charge.refunded",
        {"id": "ch_1", "object": "charge", "amount": 999, "amount_refunded": 999,
         "invoice": paid["invoice"], "payment_intent": "pi_of_the_invoice"},
    )  # fmt: skip

    post_webhook(client, refunded)

    refund, entitlements = receiver.events()[3:]
    assert refund["type"] == "purchase.refunded"
    purchase = refund["data"]["purchase"]
    assert (purchase["status"], purchase["refund_amount"], purchase["amount"]) == (
        "refunded", "9.99", "9.99",
    )  # fmt: skip
    assert entitlements["type"] == "entitlements.updated"
    assert entitlements["data"] == {"user_id": USER, "feature_keys": [], "features": {}}


def test_a_subscription_ended_in_stripe_is_announced_cancelled(
    client, session, catalog, fake_stripe, receiver
):
    paid = bought(client, session, catalog, fake_stripe)
    deleted = event(
        "customer.subscription.deleted", {"id": paid["subscription"], "object": "subscription"}
    )

    post_webhook(client, deleted)
    post_webhook(client, deleted)

    cancelled, entitlements = receiver.events()[3:]
    assert cancelled["type"] == "subscription.cancelled"
    subscription = cancelled["data"]["subscription"]
    assert (subscription["status"], subscription["auto_renew"]) == ("cancelled", False)
    assert subscription["cancellation_reason"] == "The subscription ended in Stripe."
    assert entitlements["type"] == "entitlements.updated"


def test_a_renewal_that_revives_an_expired_subscription_announces_it(
    client, session, catalog, fake_stripe, receiver
):
    paid = bought(client, session, catalog, fake_stripe)
    held = session.scalars(select(UserAddOn).where(UserAddOn.user_id == USER)).one()
    held.status = "expired"  # its renewal was late: `flask maintain` expired it meanwhile
    session.commit()
    renewal = fake_stripe.pay_renewal(paid["subscription"], int(time.time()) + 40 * 86400)

    post_webhook(client, renewal)
    post_webhook(client, renewal)

    activated, entitlements, renewal = receiver.events()[3:]
    assert activated["type"] == "subscription.activated"
    assert activated["data"]["subscription"]["status"] == "active"
    assert entitlements["type"] == "entitlements.updated"
    # What the renewal charged is a purchase of its own, on its own order.
    assert renewal["type"] == "purchase.completed"
    assert renewal["data"]["purchase"]["order_number"] is not None
    assert renewal["data"]["purchase"]["add_on"]["slug"] == catalog.tts.slug
