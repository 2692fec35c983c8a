"""A shopper's orders, receipts, subscriptions and entitlements over the API — their own only."""

from __future__ import annotations

import io
import uuid

import pytest
from pypdf import PdfReader

from tests.fixtures.identity import feature, purchase, subscribe
from tests.integration.api.conftest import assert_problem, bearer

ALICE = bearer("dev:shopper:alice")
BOB = bearer("dev:shopper:bob")


@pytest.fixture
def alices_orders(session, catalog):
    """Three paid orders of alice's, oldest first (tts 3 days ago, stt 2, gpu 1); one of bob's."""
    rows = [
        purchase(session, "alice", catalog.tts, days_ago=3),
        purchase(session, "alice", catalog.stt, days_ago=2),
        purchase(session, "alice", catalog.gpu, days_ago=1),
    ]
    purchase(session, "bob", catalog.brigade)
    return [row.order for row in rows]


def test_orders_newest_first_a_page_at_a_time(client, alices_orders):
    first = client.get("/api/v1/me/orders", query_string={"limit": 2}, headers=ALICE).json
    rest = client.get(
        "/api/v1/me/orders",
        query_string={"limit": 2, "cursor": first["next_cursor"]},
        headers=ALICE,
    ).json

    names = [order["lines"][0]["name"] for order in first["items"] + rest["items"]]
    newest_first = [order.lines[0].add_on.name for order in reversed(alices_orders)]
    assert names == newest_first
    assert rest["next_cursor"] is None
    order = first["items"][0]
    assert order["status"] == "paid" and order["number"]
    assert order["total"]["currency"] == "USD" and order["created_at"].endswith("Z")


def test_a_bad_order_cursor_is_a_400(client, alices_orders):
    response = client.get("/api/v1/me/orders", query_string={"cursor": "djE6bm9wZQ"}, headers=ALICE)

    assert list(assert_problem(response, 400)["errors"]) == ["cursor"]


def test_one_order_and_its_receipt(client, alices_orders):
    order = alices_orders[0]

    one = client.get(f"/api/v1/me/orders/{order.id}", headers=ALICE)
    pdf = client.get(f"/api/v1/me/orders/{order.id}/receipt.pdf", headers=ALICE)

    assert one.json["number"] == order.number
    assert one.json["total"] == {"amount": "9.99", "currency": "USD"}
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert order.number in text


def test_nobody_reads_another_users_orders(client, alices_orders):
    order = alices_orders[0]

    assert_problem(client.get(f"/api/v1/me/orders/{order.id}", headers=BOB), 404)
    assert_problem(client.get(f"/api/v1/me/orders/{order.id}/receipt.pdf", headers=BOB), 404)
    bobs = client.get("/api/v1/me/orders", headers=BOB).json["items"]
    assert [o["lines"][0]["name"] for o in bobs] == ["Brigade - Agent Platform"]
    assert_problem(client.get(f"/api/v1/me/orders/{uuid.uuid4()}", headers=ALICE), 404)


@pytest.fixture
def alices_subscription(session, catalog):
    return subscribe(session, "alice", catalog.tts)


def test_active_subscriptions(client, session, catalog, alices_subscription):
    subscribe(session, "alice", catalog.stt, status="cancelled")

    items = client.get("/api/v1/me/subscriptions", headers=ALICE).json["items"]

    assert [(s["slug"], s["status"], s["auto_renew"]) for s in items] == [
        ("unicorn-orator-tts", "active", True)
    ]


def test_switch_auto_renew_off_and_cancel(client, alices_subscription):
    url = f"/api/v1/me/subscriptions/{alices_subscription.id}"

    off = client.put(f"{url}/auto-renew", json={"auto_renew": False}, headers=ALICE)
    cancelled = client.post(f"{url}/cancel", json={"reason": "Too pricey"}, headers=ALICE)
    again = client.post(f"{url}/cancel", json={}, headers=ALICE)

    assert off.status_code == 200 and off.json["auto_renew"] is False
    assert cancelled.json["status"] == "cancelled" and cancelled.json["cancelled_at"]
    assert "can't be cancelled" in assert_problem(again, 409)["detail"]
    assert client.get("/api/v1/me/subscriptions", headers=ALICE).json["items"] == []


def test_nobody_changes_another_users_subscription(client, alices_subscription):
    url = f"/api/v1/me/subscriptions/{alices_subscription.id}"

    assert_problem(client.post(f"{url}/cancel", json={}, headers=BOB), 404)
    assert_problem(client.put(f"{url}/auto-renew", json={"auto_renew": False}, headers=BOB), 404)
    assert alices_subscription.status == "active"


def test_auto_renew_needs_a_boolean(client, alices_subscription):
    url = f"/api/v1/me/subscriptions/{alices_subscription.id}/auto-renew"

    response = client.put(url, json={"auto_renew": "maybe"}, headers=ALICE)

    assert assert_problem(response, 422)["errors"] == {"auto_renew": ["Not a valid boolean."]}


def test_my_entitlements_with_an_etag(client, session, catalog, alices_subscription):
    feature(session, catalog.tts, "voices", {"limit": 10})

    first = client.get("/api/v1/me/features", headers=ALICE)
    again = client.get(
        "/api/v1/me/features", headers={**ALICE, "If-None-Match": first.headers["ETag"]}
    )
    bobs = client.get("/api/v1/me/features", headers=BOB)

    assert first.json == {
        "user_id": "alice",
        "feature_keys": ["voices"],
        "features": {"voices": {"limit": 10}},
    }
    assert again.status_code == 304
    assert bobs.json["feature_keys"] == []
