"""Cart routes over HTTP: page vs partial, events, redirects, status codes, CSRF, rate limit."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import AddOn, CartItem, UserAddOn
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.shoppers import ANON_OWNER, HX, csrf_token_from, session_of, sign_in


def quantities(session, owner=ANON_OWNER):
    return dict(
        session.execute(
            select(CartItem.add_on_id, CartItem.quantity).where(CartItem.user_id == owner)
        ).all()
    )


# Page and partial ---------------------------------------------------------------------------


def test_cart_page_and_partial_come_from_the_same_url(anonymous_client, cart_with_bundle):
    page = anonymous_client.get("/cart")
    partial = anonymous_client.get("/cart", headers=HX)

    assert page.status_code == partial.status_code == 200
    assert "<html" in page.text and "<html" not in partial.text
    for html in (page.text, partial.text):
        assert 'id="cart"' in html and 'aria-live="polite"' in html
        assert "AI Productivity Bundle" in html
        assert "$29.97" in html and "$25.47" in html
        assert "then $25.47/mo" in html
    assert "HX-Request" in partial.headers["Vary"]
    assert 'id="cart-badge"' in page.text and ">3<" in page.text


def test_empty_cart_without_owner(client):
    response = client.get("/cart")

    assert response.status_code == 200
    assert "Your cart is empty." in response.text
    assert "anonymous_id" not in session_of(client)


def test_badge_counts_quantities(anonymous_client, cart_with_bundle):
    response = anonymous_client.get("/cart/badge", headers=HX)

    assert response.status_code == 200
    assert 'id="cart-badge"' in response.text
    assert 'hx-trigger="cart-changed from:body"' in response.text
    assert ">3<" in response.text


def test_lines_show_a_changed_price(session, anonymous_client, cart_with_bundle, catalog):
    catalog.tts.base_price = catalog.tts.base_price + 2
    session.commit()

    assert "Price changed from $9.99" in anonymous_client.get("/cart").text


# Adding -------------------------------------------------------------------------------------


def test_first_add_creates_an_anonymous_owner(client, session, catalog):
    response = client.post("/cart/items", data={"add_on_id": str(catalog.bolt.id)}, headers=HX)

    assert response.status_code == 200
    assert "Added ✓" in response.text and 'href="/cart"' in response.text
    assert response.headers["HX-Trigger"] == "cart-changed"
    owner = "anon:" + session_of(client)["anonymous_id"]
    assert quantities(session, owner) == {catalog.bolt.id: 1}


def test_add_without_js_redirects_back_to_the_referrer(anonymous_client, session, catalog):
    response = anonymous_client.post(
        "/cart/items",
        data={"add_on_id": str(catalog.bolt.id), "quantity": "2"},
        headers={"Referer": "http://localhost/add-ons/bolt?x=1"},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/add-ons/bolt?x=1"
    assert quantities(session) == {catalog.bolt.id: 2}


def test_add_ignores_a_foreign_referrer(anonymous_client, catalog):
    response = anonymous_client.post(
        "/cart/items",
        data={"add_on_id": str(catalog.bolt.id)},
        headers={"Referer": "https://evil.example/phish"},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/cart"


def test_add_bundle_via_htmx(anonymous_client, session, catalog):
    bundle = catalog.bundles["developer_pro"]
    response = anonymous_client.post("/cart/bundles", data={"bundle_id": bundle.id}, headers=HX)

    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "cart-changed"
    assert set(quantities(session)) == set(bundle.add_on_ids)
    assert "$39.98" in anonymous_client.get("/cart").text


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"add_on_id": "not-a-uuid"}, 400, "That isn&#39;t a valid add-on id."),
        ({"add_on_id": ""}, 400, "Choose an add-on."),
        ({"add_on_id": str(uuid.uuid4())}, 404, "doesn&#39;t exist"),
        ({"quantity": "abc"}, 422, "Quantity must be a whole number from 1 to 100."),
        ({"quantity": "0"}, 422, "Quantity must be a whole number from 1 to 100."),
        ({"quantity": "101"}, 422, "Quantity must be a whole number from 1 to 100."),
    ],
)
def test_bad_adds_answer_with_a_message(anonymous_client, session, catalog, data, status, message):
    data = {"add_on_id": str(catalog.tts.id), **data}
    for headers in (HX, {}):
        response = anonymous_client.post("/cart/items", data=data, headers=headers)
        assert response.status_code == status
        assert message in response.text
        assert "HX-Trigger" not in response.headers
    assert quantities(session) == {}


def test_an_owned_add_on_cannot_be_added(client, session, catalog):
    sign_in(client, "user-1")
    session.add(UserAddOn(user_id="user-1", add_on_id=catalog.gpu.id, status="active"))
    session.commit()

    response = client.post("/cart/items", data={"add_on_id": str(catalog.gpu.id)}, headers=HX)

    assert response.status_code == 409
    assert "You already own GPU Compute Access." in response.text
    assert quantities(session, "user-1") == {}


def test_adding_past_100_is_capped_with_a_note(anonymous_client, session, catalog):
    put_in_cart(session, ANON_OWNER, catalog.tts, quantity=98)

    response = anonymous_client.post(
        "/cart/items", data={"add_on_id": str(catalog.tts.id), "quantity": "5"}, headers=HX
    )

    assert response.status_code == 200
    assert "at most 100" in response.text
    assert quantities(session) == {catalog.tts.id: 100}


# Changing the cart --------------------------------------------------------------------------


def test_update_quantity_returns_the_partial_and_the_event(anonymous_client, cart_with_bundle):
    item = cart_with_bundle[0]
    response = anonymous_client.post(f"/cart/items/{item.id}", data={"quantity": "3"}, headers=HX)

    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "cart-changed"
    assert "<html" not in response.text and 'id="cart"' in response.text
    assert 'value="3"' in response.text


def test_update_without_js_redirects_to_the_cart(anonymous_client, cart_with_bundle):
    item = cart_with_bundle[0]
    response = anonymous_client.post(f"/cart/items/{item.id}", data={"quantity": "4"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/cart"
    page = anonymous_client.get("/cart").text
    assert "quantity is now 4" in page


@pytest.mark.parametrize("quantity", ["0", "101", "two", "", "1.5"])
def test_a_bad_quantity_is_shown_at_the_line(session, anonymous_client, cart_with_bundle, quantity):
    item = cart_with_bundle[0]
    response = anonymous_client.post(
        f"/cart/items/{item.id}", data={"quantity": quantity}, headers=HX
    )

    assert response.status_code == 422
    assert f'id="qty-error-{item.id}"' in response.text
    assert "Quantity must be a whole number from 1 to 100." in response.text
    assert quantities(session)[item.add_on_id] == 1


def test_another_carts_item_is_not_found(client, session, cart_with_bundle):
    item = cart_with_bundle[0]
    sign_in(client, "someone-else")

    for url in (f"/cart/items/{item.id}", f"/cart/items/{item.id}/delete"):
        response = client.post(url, data={"quantity": "5"}, headers=HX)
        assert response.status_code == 404
        assert "That item isn&#39;t in your cart." in response.text
    assert quantities(session)[item.add_on_id] == 1


def test_a_malformed_item_id_is_not_found(anonymous_client, cart_with_bundle):
    assert anonymous_client.post("/cart/items/nope/delete", headers=HX).status_code == 404


def test_remove_and_clear(anonymous_client, session, cart_with_bundle):
    item = cart_with_bundle[0]
    removed = anonymous_client.post(f"/cart/items/{item.id}/delete", headers=HX)
    assert removed.status_code == 200
    assert removed.headers["HX-Trigger"] == "cart-changed"
    assert "Removed Unicorn Orator - TTS" in removed.text
    assert len(quantities(session)) == 2

    cleared = anonymous_client.post("/cart/clear")
    assert cleared.status_code == 303
    assert quantities(session) == {}


# Promo codes --------------------------------------------------------------------------------


def test_apply_and_remove_a_code(anonymous_client, cart_with_bundle):
    applied = anonymous_client.post("/cart/promo", data={"code": "launch2025"}, headers=HX)

    assert applied.status_code == 200
    assert applied.headers["HX-Trigger"] == "cart-changed"
    assert "Code LAUNCH2025 applied" in applied.text
    assert "$20.38" in applied.text and "then $25.47/mo" in applied.text
    assert session_of(anonymous_client)["promo_code"] == "LAUNCH2025"
    assert "$20.38" in anonymous_client.get("/cart").text

    removed = anonymous_client.post("/cart/promo/delete", headers=HX)
    assert removed.headers["HX-Trigger"] == "cart-changed"
    assert "$20.38" not in removed.text
    assert "promo_code" not in session_of(anonymous_client)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("NOPE", "We don&#39;t recognise this code."),
        ("", "Enter a promo code."),
        ("VIP2025", "This code is for vip_founder members."),
    ],
)
def test_a_rejected_code_says_why(anonymous_client, cart_with_bundle, code, message):
    response = anonymous_client.post("/cart/promo", data={"code": code}, headers=HX)

    assert response.status_code == 422
    assert message in response.text
    assert 'id="promo-error"' in response.text or code == ""
    assert "HX-Trigger" not in response.headers


def test_a_code_that_became_invalid_is_dropped_with_the_reason(
    session, anonymous_client, cart_with_bundle, catalog
):
    anonymous_client.post("/cart/promo", data={"code": "LAUNCH2025"})
    catalog.codes["LAUNCH2025"].is_active = False
    session.commit()

    page = anonymous_client.get("/cart").text

    assert "The code LAUNCH2025 was removed: This code is no longer active." in page
    assert "promo_code" not in session_of(anonymous_client)


def test_promo_attempts_are_rate_limited(app, anonymous_client, cart_with_bundle):
    app.config["PROMO_RATE_LIMIT"] = "3 per minute"
    statuses = [
        anonymous_client.post("/cart/promo", data={"code": f"GUESS{i}"}, headers=HX).status_code
        for i in range(3)
    ]
    blocked = anonymous_client.post("/cart/promo", data={"code": "LAUNCH2025"}, headers=HX)

    assert statuses == [422, 422, 422]
    assert blocked.status_code == 429
    assert "Too many promo code attempts" in blocked.text
    assert 'id="cart"' in blocked.text
    assert anonymous_client.post("/cart/promo", data={"code": "X"}).status_code == 429


# CSRF ---------------------------------------------------------------------------------------


def test_posts_need_the_csrf_token(csrf_app):
    # csrf_app has its own rolled-back transaction, so this test seeds its own add-on.
    add_on = AddOn(name="CSRF Probe", slug="csrf-probe", category="analytics", base_price=1)
    db.session.add(add_on)
    db.session.commit()
    client = csrf_app.test_client()
    data = {"add_on_id": str(add_on.id)}

    refused = client.post("/cart/items", data=data, headers=HX)
    assert refused.status_code == 400

    token = csrf_token_from(client.get("/cart").text)  # base.html's hx-headers
    by_header = client.post("/cart/items", data=data, headers={**HX, "X-CSRFToken": token})
    assert by_header.status_code == 200

    page = client.get("/cart").text
    field_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    by_field = client.post("/cart/clear", data={"csrf_token": field_token})
    assert by_field.status_code == 303
    assert client.post("/cart/clear", data={"csrf_token": "forged"}).status_code == 400
