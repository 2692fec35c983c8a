"""Account pages: sign-in required, someone else's objects are 404, HTMX and no-JS paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from marketplace.extensions import db
from marketplace.models import FeatureDefinition, UserAddOn
from tests.fixtures.identity import feature, purchase, subscribe
from tests.fixtures.shoppers import HX, sign_in

ME = "user-1"
ORDER = '<li class="order">'


@pytest.fixture
def me(client):
    return sign_in(client, ME, tier="pro")


@pytest.fixture
def holdings(session, catalog):
    """user-1 holds TTS (monthly, two features) and a cancelled STT; user-2 holds Bolt."""
    feature(session, catalog.tts, "tts_voices", {"voices": 12})
    feature(session, catalog.tts, "tts_streaming", {})
    feature(session, catalog.tts, "tts_legacy", enabled=False)
    return {
        "tts": subscribe(session, ME, catalog.tts),
        "stt": subscribe(
            session,
            ME,
            catalog.stt,
            status="cancelled",
            cancelled_at=datetime.now(UTC) - timedelta(days=1),
            cancellation_reason="Too pricey",
        ),
        "gpu": subscribe(session, ME, catalog.gpu, expires_in_days=None),
        "others": subscribe(session, "user-2", catalog.bolt),
    }


# Sign-in required ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/account/add-ons", "/account/purchases?status=completed", "/account"]
)
def test_anonymous_shoppers_are_sent_to_sign_in_and_back(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    follow = client.get(response.headers["Location"])
    assert follow.status_code == 200 and "Development sign-in." in follow.text


def test_anonymous_htmx_requests_navigate_to_sign_in(client):
    response = client.get("/account/purchases", headers=HX)

    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/account/purchases"


def test_anonymous_posts_change_nothing(client, session, holdings):
    response = client.post(f"/account/add-ons/{holdings['tts'].id}/cancel")

    assert response.status_code == 303
    session.refresh(holdings["tts"])
    assert holdings["tts"].status == "active"


# My add-ons ------------------------------------------------------------------------------------


def test_my_add_ons_lists_every_subscription(me, holdings):
    page = me.get("/account/add-ons")

    assert page.status_code == 200
    text = page.text
    assert "Unicorn Orator - TTS" in text and "Amanuensis - STT" in text
    assert "Bolt" not in text  # user-2's
    assert text.index("Unicorn Orator") < text.index("Amanuensis")  # active first
    assert "<li>Tts voices</li>" in text and "<li>Tts streaming</li>" in text
    assert "Tts legacy" not in text
    assert "Your reason: Too pricey" in text
    assert "Lifetime — nothing renews" in text
    assert 'role="switch" aria-checked="true"' in text


def test_features_go_by_the_platforms_name_where_it_has_one(me, session, holdings):
    session.add(FeatureDefinition(key="tts_voices", name="120 neural voices"))
    session.commit()

    text = me.get("/account/add-ons").text

    assert "<li>120 neural voices</li>" in text and "<li>Tts streaming</li>" in text


def test_cancel_has_a_confirm_step(me, holdings):
    url = f"/account/add-ons/{holdings['tts'].id}/cancel"
    partial = me.get(url, headers=HX)
    page = me.get(url)

    assert partial.status_code == page.status_code == 200
    assert "<html" not in partial.text and "<html" in page.text
    for html in (partial.text, page.text):
        assert "Cancel Unicorn Orator - TTS?" in html
        assert 'name="reason"' in html and "Yes, cancel it" in html


def test_cancel_with_htmx_swaps_the_row(me, session, holdings):
    sub = holdings["tts"]

    response = me.post(
        f"/account/add-ons/{sub.id}/cancel", data={"reason": "  Not using it  "}, headers=HX
    )

    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "subscription-changed"
    assert "<html" not in response.text
    assert f'id="subscription-{sub.id}"' in response.text
    assert "Unicorn Orator - TTS is cancelled." in response.text
    session.refresh(sub)
    assert sub.status == "cancelled"
    assert sub.cancellation_reason == "Not using it"
    assert sub.cancelled_at is not None and sub.auto_renew is False


def test_cancel_without_js_redirects(me, session, holdings):
    sub = holdings["tts"]

    response = me.post(f"/account/add-ons/{sub.id}/cancel", data={"reason": ""})

    assert response.status_code == 303
    assert response.headers["Location"] == f"/account/add-ons#subscription-{sub.id}"
    session.refresh(sub)
    assert sub.status == "cancelled" and sub.cancellation_reason is None
    assert "Unicorn Orator - TTS is cancelled." in me.get("/account/add-ons").text


def test_cancelling_twice_is_refused(me, holdings):
    response = me.post(f"/account/add-ons/{holdings['stt'].id}/cancel", headers=HX)

    assert response.status_code == 409
    assert "is cancelled, so it can&#39;t be cancelled" in response.text


def test_auto_renew_switch(me, session, holdings):
    sub = holdings["tts"]
    url = f"/account/add-ons/{sub.id}/auto-renew"

    off = me.post(url, data={"auto_renew": "off"}, headers=HX)
    assert off.status_code == 200
    assert off.headers["HX-Trigger"] == "subscription-changed"
    assert 'aria-checked="false"' in off.text and "won&#39;t renew now" in off.text
    session.refresh(sub)
    assert sub.auto_renew is False

    on = me.post(url, data={"auto_renew": "on"})
    assert on.status_code == 303
    session.refresh(sub)
    assert sub.auto_renew is True


def test_auto_renew_is_refused_for_lifetime_add_ons(me, holdings):
    response = me.post(
        f"/account/add-ons/{holdings['gpu'].id}/auto-renew", data={"auto_renew": "off"}, headers=HX
    )

    assert response.status_code == 409
    assert "yours for life" in response.text


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("get", "", None),
        ("get", "/cancel", None),
        ("post", "/cancel", {"reason": "mine now"}),
        ("post", "/auto-renew", {"auto_renew": "off"}),
    ],
)
def test_another_users_subscription_is_404(me, session, holdings, method, suffix, data):
    other = holdings["others"]

    response = getattr(me, method)(f"/account/add-ons/{other.id}{suffix}", data=data)

    assert response.status_code == 404
    session.refresh(other)
    assert other.status == "active" and other.auto_renew is True


# Purchases ---------------------------------------------------------------------------------


@pytest.fixture
def history(session, catalog):
    """25 completed TTS purchases (one a day), one refunded Bolt, one of user-2's."""
    rows = [purchase(session, ME, catalog.tts, days_ago=day + 1) for day in range(25)]
    refunded = purchase(
        session,
        ME,
        catalog.bolt,
        days_ago=0,
        status="refunded",
        refund_amount=Decimal("14.99"),
    )
    others = purchase(session, "user-2", catalog.gpu)
    return {"tts": rows, "refunded": refunded, "others": others}


def test_purchases_are_paginated(me, history):
    first = me.get("/account/purchases")
    assert first.status_code == 200
    assert first.text.count(ORDER) == 20
    assert "Bolt - AI Dev Environment" in first.text
    assert 'href="/account/purchases?page=2"' in first.text
    assert 'hx-push-url="true"' in first.text

    second = me.get("/account/purchases?page=2")
    assert second.text.count(ORDER) == 6
    assert "Older" not in second.text and "Newer" in second.text

    assert me.get("/account/purchases?page=3").status_code == 404


def test_purchase_filters_page_and_partial_from_one_url(me, history):
    url = "/account/purchases?status=refunded&q=bolt"
    page = me.get(url)
    partial = me.get(url, headers=HX)

    assert page.status_code == partial.status_code == 200
    assert "<html" in page.text and "<html" not in partial.text
    assert 'id="purchase-results"' in page.text
    assert "HX-Request" in partial.headers["Vary"]
    for html in (page.text, partial.text):
        assert html.count(ORDER) == 1
        assert "Bolt - AI Dev Environment" in html and "Unicorn" not in html


def test_purchase_text_and_date_filters(me, history):
    today = datetime.now(UTC).date()
    since = (today - timedelta(days=3)).isoformat()
    until = (today - timedelta(days=2)).isoformat()

    by_text = me.get("/account/purchases?q=ORATOR", headers=HX).text
    by_date = me.get(f"/account/purchases?since={since}&until={until}", headers=HX).text
    wildcard = me.get("/account/purchases?q=%25", headers=HX).text

    assert by_text.count(ORDER) == 20 and "Bolt" not in by_text
    assert by_date.count(ORDER) == 2
    assert "No orders match these filters" in wildcard


def test_purchase_filters_are_validated(me):
    assert me.get("/account/purchases?since=not-a-date").status_code == 400
    assert me.get("/account/purchases?status=stolen").status_code == 400
    assert me.get("/account/purchases?since=2025-02-01&until=2025-01-01").status_code == 400


def test_old_receipt_links_lead_to_the_orders_receipt(me, session, catalog, history):
    code = catalog.codes["LAUNCH2025"]
    row = purchase(
        session,
        ME,
        catalog.tts,
        amount=Decimal("7.99"),
        discount_amount=Decimal("2.00"),
        promo_code_id=code.id,
        stripe_payment_id="pi_123",
    )

    page = me.get(f"/account/purchases/{row.id}")
    pdf = me.get(f"/account/purchases/{row.id}.pdf")

    assert page.status_code == pdf.status_code == 301
    assert page.headers["Location"] == f"/account/orders/{row.order_id}"
    assert pdf.headers["Location"] == f"/account/orders/{row.order_id}.pdf"
    receipt = me.get(page.headers["Location"])
    assert receipt.status_code == 200
    assert row.order.number in receipt.text and "pi_123" in receipt.text
    assert "$9.99" in receipt.text and "-$2.00" in receipt.text and "$7.99" in receipt.text
    assert f'href="/account/orders/{row.order_id}.pdf"' in receipt.text
    download = me.get(pdf.headers["Location"])
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF")
    assert f'filename="receipt-{row.order.number}.pdf"' in download.headers["Content-Disposition"]


@pytest.mark.parametrize("suffix", ["", ".pdf"])
def test_another_users_receipt_is_404(me, history, suffix):
    other = history["others"]
    for path in (
        f"/account/purchases/{other.id}{suffix}",
        f"/account/orders/{other.order_id}{suffix}",
    ):
        response = me.get(path)

        assert response.status_code == 404
        assert b"%PDF" not in response.data


def test_another_users_purchases_are_not_listed(me, history):
    assert "GPU Compute Access" not in me.get("/account/purchases").text


def test_subscriptions_only_change_in_the_service(session, holdings):
    # The ORM default leaves auto_renew as the database set it.
    assert db.session.get(UserAddOn, holdings["tts"].id).auto_renew is True
