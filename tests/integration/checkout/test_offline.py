"""The offline provider: without Stripe keys, a marked local test page settles payments."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace import payments
from marketplace.extensions import db
from marketplace.models import BillingOutboxEntry
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.database import make_app
from tests.fixtures.shoppers import sign_in, with_promo
from tests.integration.checkout.steps import USER, cart_count, holdings, purchases, uses


@pytest.fixture
def app_overrides(fake_stripe) -> dict:
    # The fake Stripe is there to prove that nothing reaches it.
    return {"STRIPE_SECRET_KEY": None, "STRIPE_API_BASE": fake_stripe.url}


def open_test_payment(client, session, catalog, promo=None) -> str:
    put_in_cart(session, USER, catalog.tts)
    sign_in(client, USER)
    if promo:
        with_promo(client, promo)
    response = client.post("/checkout")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "/checkout/test-payment/cs_offline_" in location
    return location.rsplit("/", 1)[1]


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


def test_cancel_with_the_offline_provider_sends_nothing_and_completes_the_entry(
    client, session, catalog, fake_stripe
):
    session_id = open_test_payment(client, session, catalog)
    client.post(f"/checkout/test-payment/{session_id}", data={"action": "pay"})
    held = holdings()[catalog.tts.slug]
    assert held.stripe_subscription_id == f"test_sub_{session_id.removeprefix('cs_offline_')}"

    response = client.post(f"/account/add-ons/{held.id}/cancel", data={}, buffered=True)

    assert response.status_code == 303
    assert holdings()[catalog.tts.slug].status == "cancelled"
    [entry] = db.session.scalars(
        select(BillingOutboxEntry).where(BillingOutboxEntry.kind == "stripe.subscription.cancel")
    ).all()
    assert (entry.status, entry.payload) == (
        "delivered",
        {"subscription_id": held.stripe_subscription_id},
    )
    assert fake_stripe.requests == []


@pytest.mark.parametrize("missing", ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"])
def test_production_mode_refuses_the_offline_provider(database_url, missing):
    settings = {
        "STRIPE_SECRET_KEY": "sk_live_x",
        "STRIPE_WEBHOOK_SECRET": "whsec_x",
        "SECRET_KEY": "a-real-production-secret",
        "OIDC_ISSUER": "https://sso.example.test/realms/platform",
        "OIDC_CLIENT_ID": "marketplace",
        "OIDC_CLIENT_SECRET": "secret",
    }
    with pytest.raises(SystemExit) as refused:
        make_app(database_url, MARKETPLACE_ENV="production", **{**settings, missing: None})
    assert missing in str(refused.value)
    assert payments.offline_allowed({"MARKETPLACE_ENV": "production"}) is False


def test_a_second_test_checkout_closes_the_first_so_only_one_can_be_paid(client, session, catalog):
    code = catalog.codes["LAUNCH2025"]
    before = uses(code)
    first = open_test_payment(client, session, catalog, promo="LAUNCH2025")
    second = client.post("/checkout").headers["Location"].rsplit("/", 1)[1]

    paying_first = client.post(f"/checkout/test-payment/{first}", data={"action": "pay"})
    client.post(f"/checkout/test-payment/{second}", data={"action": "pay"})

    assert paying_first.headers["Location"] == "/cart"
    assert "already settled" in client.get(f"/checkout/test-payment/{first}").get_data(as_text=True)
    assert sorted(p.status for p in purchases()) == ["completed", "failed"]
    assert uses(code) == before + 1


def test_the_offline_provider_records_a_refund_once_per_key():
    provider = payments.provider_for({"MARKETPLACE_ENV": "development"}, lambda sid: sid)

    first = provider.refund("test_pay_1", Decimal("9.99"), "refund-a")

    assert first.startswith("test_re_")
    assert provider.refund("test_pay_1", Decimal("9.99"), "refund-a") == first
    assert provider.refund("test_pay_1", Decimal("9.99"), "refund-b") != first


def test_a_refused_new_checkout_still_closes_the_open_one(client, session, catalog):
    first = open_test_payment(client, session, catalog, promo="LAUNCH2025")
    code = catalog.codes["LAUNCH2025"]
    held = uses(code)
    client.post("/cart/clear")

    refused = client.post("/checkout")
    paying_first = client.post(f"/checkout/test-payment/{first}", data={"action": "pay"})

    assert refused.headers["Location"] == "/cart"
    assert paying_first.headers["Location"] == "/cart"  # already settled: it was released
    assert [p.status for p in purchases()] == ["failed"]
    assert uses(code) == held - 1


def test_the_test_payment_notice_informs_rather_than_alarms(client, session, catalog):
    session_id = open_test_payment(client, session, catalog)
    html = client.get(f"/checkout/test-payment/{session_id}").get_data(as_text=True)

    notice = html[
        html.index('<div class="alert') : html.index("</div>", html.index('<div class="alert'))
    ]
    assert 'class="alert alert--info test-payment__notice" role="note"' in notice
    assert "TEST PAYMENT — no money moves." in notice
    assert "alert--error" not in html and 'role="alert"' not in html
