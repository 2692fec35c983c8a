"""A shopper's cart and checkout over the API: the cart page's rules, and nobody else's cart."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select

from marketplace.models import AddOnPurchase, IdempotencyKey
from tests.fixtures.catalog import put_in_cart
from tests.integration.api.conftest import SERVICE_TOKEN, assert_problem, bearer

ALICE = bearer("dev:shopper:alice")
BOB = bearer("dev:shopper:bob")


def usd(amount: str) -> dict:
    return {"amount": amount, "currency": "USD"}


def test_an_empty_cart(client, catalog):
    response = client.get("/api/v1/me/cart", headers=ALICE)

    assert response.status_code == 200
    assert response.json["items"] == []
    assert response.json["summary"]["due_today"] == usd("0.00")
    assert response.headers["Cache-Control"] == "no-store"


def test_add_set_quantity_remove_and_clear(client, catalog):
    added = client.post(
        "/api/v1/me/cart/items",
        json={"add_on_id": str(catalog.tts.id), "quantity": 2},
        headers=ALICE,
    )
    assert added.status_code == 201
    line = added.json["items"][0]
    assert (line["slug"], line["quantity"]) == ("unicorn-orator-tts", 2)
    assert added.json["summary"]["due_today"] == usd("19.98")

    changed = client.put(f"/api/v1/me/cart/items/{line['id']}", json={"quantity": 3}, headers=ALICE)
    assert changed.json["summary"]["subtotal"] == usd("29.97")

    client.post("/api/v1/me/cart/items", json={"add_on_id": str(catalog.gpu.id)}, headers=ALICE)
    removed = client.delete(f"/api/v1/me/cart/items/{line['id']}", headers=ALICE)
    assert [item["name"] for item in removed.json["items"]] == [catalog.gpu.name]

    cleared = client.delete("/api/v1/me/cart", headers=ALICE)
    assert cleared.json["items"] == []


def test_the_summary_is_the_cart_pages(client, session, catalog):
    put_in_cart(session, "alice", catalog.tts, catalog.stt, catalog.presenton)

    summary = client.get("/api/v1/me/cart", headers=ALICE).json["summary"]

    # The AI Productivity Bundle applies to the three, as on the cart page.
    assert summary["subtotal"] == usd("29.97")
    assert summary["bundle_discount"] != usd("0.00")
    assert Decimal(summary["due_today"]["amount"]) == sum(
        Decimal(line["due_today"]["amount"]) for line in summary["lines"]
    )


def test_refusals_answer_with_the_services_status(client, catalog):
    unknown = client.post(
        "/api/v1/me/cart/items", json={"add_on_id": str(uuid.uuid4())}, headers=ALICE
    )
    too_many = client.post(
        "/api/v1/me/cart/items",
        json={"add_on_id": str(catalog.tts.id), "quantity": 101},
        headers=ALICE,
    )
    gone = client.put(f"/api/v1/me/cart/items/{uuid.uuid4()}", json={"quantity": 1}, headers=ALICE)

    assert_problem(unknown, 404)
    assert list(assert_problem(too_many, 422)["errors"]) == ["quantity"]
    assert_problem(gone, 404)


def test_nobody_can_change_another_users_cart(client, session, catalog):
    [item] = put_in_cart(session, "alice", catalog.tts)

    changed = client.put(f"/api/v1/me/cart/items/{item.id}", json={"quantity": 5}, headers=BOB)
    removed = client.delete(f"/api/v1/me/cart/items/{item.id}", headers=BOB)
    bobs = client.get("/api/v1/me/cart", headers=BOB)
    alices = client.get("/api/v1/me/cart", headers=ALICE)

    assert_problem(changed, 404)
    assert_problem(removed, 404)
    assert bobs.json["items"] == []
    assert alices.json["items"][0]["quantity"] == 1


def test_a_service_token_cannot_act_as_a_user(client, catalog):
    assert_problem(client.get("/api/v1/me/cart", headers=bearer(SERVICE_TOKEN)), 403)
    assert_problem(client.get("/api/v1/me/cart"), 401)


def test_a_promo_code_applies_is_kept_and_comes_off(client, session, catalog):
    put_in_cart(session, "alice", catalog.tts)

    applied = client.put("/api/v1/me/cart/promo", json={"code": "friend50"}, headers=ALICE)
    kept = client.get("/api/v1/me/cart", headers=ALICE)
    removed = client.delete("/api/v1/me/cart/promo", headers=ALICE)

    assert applied.status_code == 200
    assert applied.json["summary"]["promo"] == {
        "code": "FRIEND50",
        "applied": True,
        "discount": usd("5.00"),
        "message": None,
    }
    assert kept.json["summary"]["due_today"] == usd("4.99")
    assert removed.json["summary"]["promo"]["applied"] is False
    assert removed.json["summary"]["due_today"] == usd("9.99")


def test_a_code_that_does_not_apply_is_a_422_that_says_why(client, session, catalog):
    put_in_cart(session, "alice", catalog.tts)

    response = client.put("/api/v1/me/cart/promo", json={"code": "VIP2025"}, headers=ALICE)

    body = assert_problem(response, 422)
    assert body["errors"]["code"] == [body["detail"]]


def checkout(client, key, body=None, headers=ALICE):
    return client.post(
        "/api/v1/me/checkout", json=body or {}, headers={**headers, "Idempotency-Key": key}
    )


def pending(session) -> int:
    return session.scalar(
        select(func.count()).select_from(AddOnPurchase).where(AddOnPurchase.status == "pending")
    )


def test_checkout_answers_the_payment_page(client, session, catalog):
    put_in_cart(session, "alice", catalog.tts)

    response = checkout(client, "key-1")

    assert response.status_code == 201
    assert response.json["session_id"].startswith("cs_offline_")
    assert "/checkout/test-payment/cs_offline_" in response.json["url"]
    assert pending(session) == 1


def test_checkout_needs_an_idempotency_key(client, session, catalog):
    put_in_cart(session, "alice", catalog.tts)

    response = client.post("/api/v1/me/checkout", json={}, headers=ALICE)

    assert list(assert_problem(response, 400)["errors"]) == ["Idempotency-Key"]
    assert pending(session) == 0


def test_a_retry_with_the_same_key_replays_the_first_answer(client, session, catalog):
    put_in_cart(session, "alice", catalog.tts)

    first = checkout(client, "key-2")
    again = checkout(client, "key-2")

    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert pending(session) == 1  # one checkout, not two


def test_the_same_key_with_another_body_is_a_422(client, session, catalog):
    put_in_cart(session, "alice", catalog.tts)
    checkout(client, "key-3")

    response = checkout(client, "key-3", body={"unexpected": True})

    assert list(assert_problem(response, 422)["errors"]) == ["Idempotency-Key"]


def test_keys_are_per_user(client, session, catalog):
    put_in_cart(session, "alice", catalog.tts)
    put_in_cart(session, "bob", catalog.stt)

    alices = checkout(client, "shared-key")
    bobs = checkout(client, "shared-key", headers=BOB)

    assert alices.json["session_id"] != bobs.json["session_id"]


def test_a_refused_checkout_gives_the_key_back(client, session, catalog):
    refused = checkout(client, "key-4")  # the cart is empty
    put_in_cart(session, "alice", catalog.tts)
    retried = checkout(client, "key-4")

    assert_problem(refused, 409)
    assert retried.status_code == 201
    assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1
