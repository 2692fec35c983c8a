"""Signed but malformed webhook events are refused with 400 and a log line, never a 500."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from marketplace.models import StripeEvent
from tests.integration.checkout.fakes import WEBHOOK_SECRET, event, sign
from tests.integration.checkout.steps import post_webhook

SESSION = {"id": "cs_test_1", "object": "checkout.session", "payment_status": "paid"}
FAILED_RENEWAL = {
    "id": "in_1",
    "object": "invoice",
    "billing_reason": "subscription_cycle",
    "subscription": "sub_1",
    "amount_due": 999,
    "currency": "usd",
    "next_payment_attempt": None,
}


def post_raw(client, payload: bytes, timestamp: int | None = None):
    return client.post(
        "/webhooks/stripe",
        data=payload,
        headers={
            "Stripe-Signature": sign(payload, WEBHOOK_SECRET, timestamp),
            "Content-Type": "application/json",
        },
    )


def recorded_events(session) -> int:
    return session.scalar(select(func.count()).select_from(StripeEvent))


@pytest.mark.parametrize(
    "payload",
    [b"{}", b"[]", b"null", b"42", b'"text"', b"{not json", b"\xff\xfe"],
    ids=["empty object", "array", "null", "number", "string", "broken json", "not utf-8"],
)
def test_signed_bodies_that_are_not_events_are_400(client, session, caplog, payload):
    response = post_raw(client, payload)

    assert response.status_code == 400
    assert recorded_events(session) == 0
    assert "webhook" in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        {"id": "evt_1", "type": "checkout.session.completed"},  # no data
        {"id": "evt_1", "type": "checkout.session.completed", "data": []},
        {"id": "evt_1", "type": "checkout.session.completed", "data": {"object": None}},
        event("checkout.session.completed", {"object": "checkout.session"}),  # no id
        event("checkout.session.completed", {**SESSION, "id": 42}),
        event("checkout.session.completed", {**SESSION, "metadata": "purchase_ids_0"}),
        event("checkout.session.completed", {**SESSION, "client_reference_id": ["u"]}),
        event("checkout.session.expired", {**SESSION, "id": ""}),
        event("customer.subscription.deleted", {"object": "subscription"}),
        event("checkout.session.completed", {**SESSION, "automatic_tax": {"enabled": True}}),
        event(
            "checkout.session.completed",
            {
                **SESSION,
                "automatic_tax": {"enabled": True},
                "total_details": {"amount_tax": -1},
                "amount_total": 100,
            },
        ),
        event("charge.refunded", {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": "1"}),
        event("charge.refunded", {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": -5}),
        event("charge.refunded", {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 1e30}),
        event(
            "invoice.paid",
            {
                "id": "in_1",
                "subscription": "sub_1",
                "lines": {"data": [{"period": {"end": 10**15}}]},
            },
        ),
        event(
            "invoice.paid",
            {"id": "in_1", "subscription": "sub_1", "lines": {"data": [{"period": {"end": "x"}}]}},
        ),
        event("invoice.paid", {**FAILED_RENEWAL, "lines": {"data": "all of them"}}),
        event("invoice.paid", {**FAILED_RENEWAL, "lines": {"data": [{"amount": "9.99"}]}}),
        event("invoice.paid", {**FAILED_RENEWAL, "lines": {"data": [{"amount": 10**13}]}}),
        event(
            "invoice.paid",
            {**FAILED_RENEWAL, "lines": {"data": [{"amount": 999, "discount_amounts": 5}]}},
        ),
        event("invoice.payment_failed", {**FAILED_RENEWAL, "amount_due": "9.99"}),
        event("invoice.payment_failed", {**FAILED_RENEWAL, "amount_due": -1}),
        event("invoice.payment_failed", {**FAILED_RENEWAL, "currency": None}),
        event("invoice.payment_failed", {**FAILED_RENEWAL, "next_payment_attempt": "soon"}),
        {"id": 7, "type": "checkout.session.completed", "data": {"object": SESSION}},
        {"id": "evt_1", "type": None, "data": {"object": SESSION}},
    ],
)
def test_signed_events_of_the_wrong_shape_are_400(client, session, caplog, body):
    response = post_webhook(client, body)

    assert response.status_code == 400, response.get_data(as_text=True)
    assert "malformed" in response.get_json()["error"]
    assert recorded_events(session) == 0
    assert "malformed webhook event" in caplog.text


def test_a_signature_dated_in_the_future_is_refused_like_an_old_one(client, session):
    payload = json.dumps(event("checkout.session.completed", SESSION)).encode()

    future = post_raw(client, payload, timestamp=int(time.time()) + 3600)
    old = post_raw(client, payload, timestamp=int(time.time()) - 3600)

    assert (future.status_code, old.status_code) == (400, 400)
    assert recorded_events(session) == 0


def test_an_unknown_event_type_is_acknowledged(client, session):
    response = post_webhook(client, event("customer.created", {"id": "cus_1"}))

    assert response.status_code == 200


def test_a_failed_first_invoice_is_acknowledged_and_left_to_its_checkout(client, session):
    first = {**FAILED_RENEWAL, "billing_reason": "subscription_create"}

    response = post_webhook(client, event("invoice.payment_failed", first))

    assert response.status_code == 200
    assert recorded_events(session) == 0
