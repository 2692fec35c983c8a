"""A signed-in user's promo code is one record: applied in the browser it is on the API's cart,
and the reverse; removed in one it is gone in the other; either checkout uses it. (An anonymous
browser cart keeps its code in the session: tests/integration/cart/test_routes.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.models import AddOnPurchase, PromotionalCode
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.shoppers import HX, session_of, sign_in

ALICE = {"Authorization": "Bearer dev:shopper:alice"}


@pytest.fixture
def browser(app, session, catalog):
    """Alice signed in on the web, one add-on in her cart."""
    put_in_cart(session, "alice", catalog.tts)
    return sign_in(app.test_client(), "alice")


def api_promo(client) -> dict:
    return client.get("/api/v1/me/cart", headers=ALICE).json["summary"]["promo"]


def purchased_with(session) -> list[str | None]:
    """The promo code on each of the pending purchases a checkout made."""
    rows = session.execute(
        select(PromotionalCode.code)
        .select_from(AddOnPurchase)
        .outerjoin(PromotionalCode, PromotionalCode.id == AddOnPurchase.promo_code_id)
        .where(AddOnPurchase.status == "pending")
    )
    return list(rows.scalars())


def test_applied_in_the_browser_it_is_on_the_api_cart(client, browser):
    applied = browser.post("/cart/promo", data={"code": "friend50"}, headers=HX)

    assert applied.status_code == 200 and "Code FRIEND50 applied" in applied.text
    assert "promo_code" not in session_of(browser)  # kept with the user, not the cookie
    assert api_promo(client) == {
        "code": "FRIEND50",
        "applied": True,
        "discount": {"amount": "5.00", "currency": "USD"},
        "message": None,
    }


def test_applied_over_the_api_it_is_on_the_cart_page(client, browser):
    applied = client.put("/api/v1/me/cart/promo", json={"code": "friend50"}, headers=ALICE)
    assert applied.status_code == 200

    page = browser.get("/cart").text

    assert "FRIEND50" in page and "$4.99" in page  # $9.99 less $5.00


def test_removed_in_the_browser_it_is_gone_from_the_api(client, browser):
    client.put("/api/v1/me/cart/promo", json={"code": "friend50"}, headers=ALICE)

    removed = browser.post("/cart/promo/delete", headers=HX)

    assert "Removed the code FRIEND50." in removed.text
    assert api_promo(client)["applied"] is False


def test_removed_over_the_api_it_is_gone_from_the_page(client, browser):
    browser.post("/cart/promo", data={"code": "friend50"}, headers=HX)

    client.delete("/api/v1/me/cart/promo", headers=ALICE)

    page = browser.get("/cart").text
    assert "FRIEND50" not in page and "$9.99" in page
    assert "No promo code was applied." in browser.post("/cart/promo/delete", headers=HX).text


def test_the_browser_checkout_uses_a_code_applied_over_the_api(client, session, browser):
    client.put("/api/v1/me/cart/promo", json={"code": "friend50"}, headers=ALICE)

    assert browser.post("/checkout").status_code == 303

    assert purchased_with(session) == ["FRIEND50"]


def test_the_api_checkout_uses_a_code_applied_in_the_browser(client, session, browser):
    browser.post("/cart/promo", data={"code": "friend50"}, headers=HX)

    started = client.post(
        "/api/v1/me/checkout", json={}, headers={**ALICE, "Idempotency-Key": "promo-1"}
    )

    assert started.status_code == 201, started.text
    assert purchased_with(session) == ["FRIEND50"]


def test_a_code_that_stopped_applying_is_dropped_for_both(client, session, catalog, browser):
    browser.post("/cart/promo", data={"code": "friend50"}, headers=HX)
    catalog.codes["FRIEND50"].is_active = False
    session.commit()

    page = browser.get("/cart").text

    assert "The code FRIEND50 was removed: This code is no longer active." in page
    assert api_promo(client)["code"] is None


def test_an_anonymous_code_moves_to_the_users_cart_at_sign_in(app, client, session, catalog):
    anonymous = app.test_client()
    anonymous.post("/cart/items", data={"add_on_id": str(catalog.tts.id)})
    anonymous.post("/cart/promo", data={"code": "friend50"})
    assert session_of(anonymous)["promo_code"] == "FRIEND50"

    anonymous.post("/login", data={"user_id": "alice", "next": "/cart"})

    assert api_promo(client)["code"] == "FRIEND50"
