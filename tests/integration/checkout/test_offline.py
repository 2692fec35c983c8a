"""The offline provider: without Stripe keys, a marked local test page settles payments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.extensions import db
from marketplace.models import PromotionalCode
from tests.conftest import make_app
from tests.integration.cart.conftest import put_in_cart, sign_in
from tests.integration.checkout.conftest import USER, cart_count, holdings, purchases


@pytest.fixture
def app_overrides() -> dict:
    return {"STRIPE_SECRET_KEY": None}


def open_test_payment(client, session, catalog, promo=None) -> str:
    put_in_cart(session, USER, catalog.tts)
    sign_in(client, USER)
    if promo:
        with client.session_transaction() as sess:
            sess["promo_code"] = promo
    response = client.post("/checkout")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "/checkout/test-payment/cs_offline_" in location
    return location.rsplit("/", 1)[1]


def uses(code) -> int:
    db.session.expire_all()
    return db.session.get(PromotionalCode, code.id).current_uses


def test_the_page_is_clearly_a_test_payment(client, session, catalog):
    session_id = open_test_payment(client, session, catalog)
    html = client.get(f"/checkout/test-payment/{session_id}").get_data(as_text=True)
    assert "TEST PAYMENT — no money moves." in html
    assert 'value="pay"' in html and 'value="decline"' in html and 'value="cancel"' in html
    assert "$9.99" in html


def test_pay_fulfils_like_a_webhook(client, session, catalog):
    session_id = open_test_payment(client, session, catalog)
    response = client.post(f"/checkout/test-payment/{session_id}", data={"action": "pay"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/checkout/success?session_id={session_id}"
    [row] = purchases()
    assert (row.status, row.amount) == ("completed", Decimal("9.99"))
    held = holdings()[catalog.tts.slug]
    assert held.status == "active" and held.auto_renew
    assert cart_count() == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "your add-ons are active" in page
    again = client.post(f"/checkout/test-payment/{session_id}", data={"action": "pay"})
    assert again.headers["Location"] == "/cart"
    assert len(purchases()) == 1


def test_decline_releases_the_promo_and_allows_a_retry(client, session, catalog):
    code = catalog.codes["LAUNCH2025"]
    before = uses(code)
    session_id = open_test_payment(client, session, catalog, promo="LAUNCH2025")
    assert uses(code) == before + 1
    response = client.post(f"/checkout/test-payment/{session_id}", data={"action": "decline"})
    assert response.headers["Location"] == "/cart"
    assert "The test payment was declined" in client.get("/cart").get_data(as_text=True)
    assert [p.status for p in purchases()] == ["failed"]
    assert uses(code) == before
    assert cart_count() == 1
    assert client.post("/checkout").status_code == 303
    assert uses(code) == before + 1


def test_cancel_releases_and_keeps_the_cart(client, session, catalog):
    session_id = open_test_payment(client, session, catalog)
    response = client.post(f"/checkout/test-payment/{session_id}", data={"action": "cancel"})
    assert response.headers["Location"] == "/checkout/cancelled"
    assert [p.status for p in purchases()] == ["failed"]
    assert cart_count() == 1


def test_someone_elses_test_payment_is_not_found(client, session, catalog):
    session_id = open_test_payment(client, session, catalog)
    sign_in(client, "intruder")
    assert client.get(f"/checkout/test-payment/{session_id}").status_code == 404
    assert (
        client.post(f"/checkout/test-payment/{session_id}", data={"action": "pay"}).status_code
        == 404
    )
    assert [p.status for p in purchases()] == ["pending"]


def test_production_mode_refuses_the_offline_provider(database_url):
    app = make_app(
        database_url,
        MARKETPLACE_ENV="production",
        STRIPE_SECRET_KEY=None,
        SECRET_KEY="a-real-production-secret",
        OIDC_ISSUER="https://sso.example.test/realms/platform",
        OIDC_CLIENT_ID="marketplace",
        OIDC_CLIENT_SECRET="secret",
    )
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["user"] = {"id": USER, "tier": None}
    assert client.get("/checkout/test-payment/cs_offline_x").status_code == 404
    assert (
        client.post("/checkout/test-payment/cs_offline_x", data={"action": "pay"}).status_code
        == 404
    )
    response = client.post("/checkout")
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    with app.app_context():
        db.engine.dispose()
