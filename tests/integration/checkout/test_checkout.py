"""Checkout against the fake Stripe: sessions, refusals, webhooks, releases and renewals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.billing import outbox
from marketplace.billing.sync import payments_for
from marketplace.checkout.outcomes import add_months
from marketplace.extensions import db
from marketplace.models import BillingOutboxEntry, StripeEvent
from marketplace.payments import PaymentError
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.shoppers import sign_in, with_promo
from tests.integration.checkout.fakes import event, subscription_item
from tests.integration.checkout.steps import (
    USER,
    cart_count,
    checkout,
    holdings,
    open_checkout,
    outbox_count,
    post_webhook,
    purchases,
    start_checkout,
    uses,
)


def test_subscription_checkout_creates_a_session_and_pending_purchases(
    client, session, catalog, fake_stripe
):
    code = catalog.codes["LAUNCH2025"]
    before = uses(code)
    response = start_checkout(client, session, catalog.tts, catalog.stt, promo="LAUNCH2025")

    assert response.status_code == 303
    [form] = fake_stripe.created_sessions()
    session_id = next(iter(fake_stripe.sessions))
    assert response.headers["Location"] == f"https://checkout.stripe.test/c/pay/{session_id}"
    assert form["mode"] == "subscription"
    assert form["line_items[0][price_data][unit_amount]"] == "999"
    assert form["line_items[0][price_data][recurring][interval]"] == "month"
    assert form["line_items[0][quantity]"] == "1"
    assert form["line_items[1][price_data][product_data][name]"] == "Amanuensis - STT"
    assert form["client_reference_id"] == USER
    assert form["success_url"].endswith("/checkout/success?session_id={CHECKOUT_SESSION_ID}")
    assert form["cancel_url"].endswith("/checkout/cancelled")
    coupon = [f for m, p, f, _ in fake_stripe.requests if p == "/v1/coupons"]
    assert coupon == [
        {
            "amount_off": "400",
            "currency": "usd",
            "duration": "once",
            "max_redemptions": "1",
            "name": "LAUNCH2025",
        }
    ]
    assert form["discounts[0][coupon]"].startswith("co_")
    headers = [h for m, p, f, h in fake_stripe.requests if p == "/v1/checkout/sessions"][0]
    assert headers["Idempotency-Key"].startswith("checkout-")

    rows = purchases()
    assert [(p.status, p.amount, p.discount_amount) for p in rows] == [
        ("pending", Decimal("7.99"), Decimal("2.00")),
        ("pending", Decimal("7.99"), Decimal("2.00")),
    ]
    assert {p.checkout_session_id for p in rows} == {session_id}
    assert {p.promo_code_id for p in rows} == {code.id}
    assert sorted(form["metadata[purchase_ids_0]"].split(",")) == sorted(str(p.id) for p in rows)
    assert uses(code) == before + 1
    assert cart_count() == 2


def test_paid_subscription_webhook_fulfils_and_syncs_lago(
    client, session, catalog, fake_stripe, fake_lago
):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts, catalog.stt)
    paid = fake_stripe.complete(session_id)

    response = post_webhook(client, event("checkout.session.completed", paid))

    assert response.status_code == 200
    rows = purchases()
    assert {(p.status, p.stripe_payment_id) for p in rows} == {("completed", paid["invoice"])}
    assert all(p.completed_at is not None for p in rows)
    held = holdings()
    assert set(held) == {catalog.tts.slug, catalog.stt.slug}
    for row in held.values():
        assert row.status == "active"
        assert row.auto_renew is True
        assert row.stripe_subscription_id == paid["subscription"]
        expected = add_months(row.purchased_at, 1)
        assert row.expires_at == expected
        assert row.lago_subscription_id == fake_lago.subscriptions[str(row.id)]["lago_id"]
    assert {s["plan_code"] for s in fake_lago.subscriptions.values()} == set(held)
    assert set(fake_lago.customers) == {USER}
    assert cart_count() == 0
    delivered = db.session.scalars(select(BillingOutboxEntry.status)).all()
    assert delivered == ["delivered", "delivered"]


def test_one_time_purchase_is_a_payment_and_never_expires(client, session, catalog, fake_stripe):
    catalog.gpu.billing_type = "one_time"
    session.commit()
    start_checkout(client, session, catalog.gpu)
    [form] = fake_stripe.created_sessions()
    assert form["mode"] == "payment"
    assert "line_items[0][price_data][recurring][interval]" not in form
    assert form["line_items[0][price_data][unit_amount]"] == "4999"
    [session_id] = fake_stripe.sessions
    paid = fake_stripe.complete(session_id)

    post_webhook(client, event("checkout.session.completed", paid))

    [row] = purchases()
    assert (row.status, row.amount, row.stripe_payment_id) == (
        "completed",
        Decimal("49.99"),
        paid["payment_intent"],
    )
    held = holdings()[catalog.gpu.slug]
    assert (held.status, held.expires_at, held.auto_renew, held.stripe_subscription_id) == (
        "active",
        None,
        False,
        None,
    )
    assert outbox_count() == 0


def test_the_same_webhook_ten_times_fulfils_once(client, session, catalog, fake_stripe):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts, catalog.stt)
    completed = event("checkout.session.completed", fake_stripe.complete(session_id))

    answers = {post_webhook(client, completed).status_code for _ in range(10)}
    # Stripe may also send the same outcome under another event id.
    post_webhook(
        client, event("checkout.session.async_payment_succeeded", completed["data"]["object"])
    )

    assert answers == {200}
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 2
    assert outbox_count() == 2
    assert [p.status for p in purchases()] == ["completed", "completed"]
    assert len(holdings()) == 2


def test_success_page_fulfils_and_shows_what_is_active(client, session, catalog, fake_stripe):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts)
    paid = fake_stripe.complete(session_id)

    page = client.get(f"/checkout/success?session_id={session_id}")
    again = client.get(f"/checkout/success?session_id={session_id}")
    late_webhook = post_webhook(client, event("checkout.session.completed", paid))

    assert page.status_code == 200 and again.status_code == 200
    html = page.get_data(as_text=True)
    assert "your add-ons are active" in html
    assert "Unicorn Orator - TTS" in html
    assert "/account/add-ons" in html
    assert late_webhook.status_code == 200
    assert outbox_count() == 1
    assert [p.status for p in purchases()] == ["completed"]


def test_someone_elses_session_is_not_found(client, session, catalog, fake_stripe):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts)
    sign_in(client, "intruder")
    assert client.get(f"/checkout/success?session_id={session_id}").status_code == 404
    assert client.get("/checkout/success?session_id=cs_nope").status_code == 404


def test_expired_session_releases_the_promo_and_the_shopper_can_retry(
    client, session, catalog, fake_stripe
):
    code = catalog.codes["FRIEND50"]
    before = uses(code)
    first = open_checkout(client, session, fake_stripe, catalog.tts, promo="FRIEND50")
    assert uses(code) == before + 1
    expired = event(
        "checkout.session.expired", {**fake_stripe.sessions[first], "status": "expired"}
    )

    for _ in range(3):
        assert post_webhook(client, expired).status_code == 200

    assert uses(code) == before
    [row] = purchases()
    assert (row.status, row.failure_reason) == (
        "failed",
        "The checkout session expired before payment.",
    )
    assert cart_count() == 1

    assert checkout(client).status_code == 303
    second = [s for s in fake_stripe.sessions if s != first]
    assert len(second) == 1
    assert uses(code) == before + 1


def test_failed_async_payment_releases_the_promo(client, session, catalog, fake_stripe):
    code = catalog.codes["LAUNCH2025"]
    before = uses(code)
    session_id = open_checkout(client, session, fake_stripe, catalog.tts, promo="LAUNCH2025")
    pending = fake_stripe.complete(session_id, paid=False)

    post_webhook(client, event("checkout.session.completed", pending))  # not paid yet
    assert [p.status for p in purchases()] == ["pending"]
    post_webhook(client, event("checkout.session.async_payment_failed", pending))

    assert [p.status for p in purchases()] == ["failed"]
    assert uses(code) == before
    assert holdings() == {}


def test_cancelled_page_alone_changes_nothing_and_offers_to_cancel(
    client, session, catalog, fake_stripe
):
    code = catalog.codes["LAUNCH2025"]
    session_id = open_checkout(client, session, fake_stripe, catalog.tts, promo="LAUNCH2025")
    held = uses(code)

    page = client.get("/checkout/cancelled")  # what a cross-site link can make a browser do

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Checkout not completed" in html
    assert f'name="session_id" value="{session_id}"' in html
    assert fake_stripe.sessions[session_id]["status"] == "open"
    assert [p.status for p in purchases()] == ["pending"]
    assert uses(code) == held


def test_a_guessed_session_id_on_the_cancelled_page_changes_nothing(
    client, session, catalog, fake_stripe
):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts)

    client.get("/checkout/cancelled?session_id=cs_test_someone_elses")

    assert fake_stripe.sessions[session_id]["status"] == "open"
    assert [p.status for p in purchases()] == ["pending"]


def test_cancel_expires_the_session_releases_and_keeps_the_cart(
    client, session, catalog, fake_stripe
):
    code = catalog.codes["LAUNCH2025"]
    before = uses(code)
    session_id = open_checkout(client, session, fake_stripe, catalog.tts, promo="LAUNCH2025")

    response = client.post("/checkout/cancel", data={"session_id": session_id})
    page = client.get(response.headers["Location"])

    assert response.status_code == 303
    assert "your cart is just as you left it" in page.get_data(as_text=True)
    assert fake_stripe.sessions[session_id]["status"] == "expired"
    assert [p.status for p in purchases()] == ["failed"]
    assert uses(code) == before
    assert cart_count() == 1
    # Stripe then reports the expiry: nothing more happens.
    post_webhook(client, event("checkout.session.expired", fake_stripe.sessions[session_id]))
    assert uses(code) == before


def test_the_cancelled_page_with_the_open_session_id_cancels_it(
    client, session, catalog, fake_stripe
):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts)

    client.get(f"/checkout/cancelled?session_id={session_id}")

    assert fake_stripe.sessions[session_id]["status"] == "expired"
    assert [p.status for p in purchases()] == ["failed"]


def test_cancelling_someone_elses_checkout_is_404(client, session, catalog, fake_stripe):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts)
    sign_in(client, "intruder")

    response = client.post("/checkout/cancel", data={"session_id": session_id})

    assert response.status_code == 404
    assert fake_stripe.sessions[session_id]["status"] == "open"
    assert [p.status for p in purchases()] == ["pending"]


def test_cancel_needs_a_csrf_token(csrf_app):
    response = csrf_app.test_client().post("/checkout/cancel", data={"session_id": "cs_x"})
    assert response.status_code == 400


def test_bad_or_missing_signature_is_400_and_changes_nothing(client, session, catalog, fake_stripe):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts)
    completed = event("checkout.session.completed", fake_stripe.complete(session_id))

    forged = post_webhook(client, completed, secret="whsec_wrong")
    unsigned = client.post("/webhooks/stripe", json=completed)

    assert (forged.status_code, unsigned.status_code) == (400, 400)
    assert [p.status for p in purchases()] == ["pending"]
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_webhook_needs_no_csrf_token(csrf_app, fake_stripe):
    response = csrf_app.test_client().post("/webhooks/stripe", data=b"{}")
    assert response.status_code == 400  # refused for its signature, not for CSRF


def test_stripe_error_leaves_the_cart_and_no_pending_rows(client, session, catalog, fake_stripe):
    code = catalog.codes["LAUNCH2025"]
    before = uses(code)
    fake_stripe.mode = "error"

    response = start_checkout(client, session, catalog.tts, promo="LAUNCH2025")

    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    page = client.get("/cart").get_data(as_text=True)
    assert "couldn&#39;t reach the payment provider" in page
    assert purchases() == []
    assert uses(code) == before
    assert cart_count() == 1


def test_stripe_timeout_leaves_the_cart_and_no_pending_rows(client, session, catalog, fake_stripe):
    fake_stripe.mode = "timeout"
    response = start_checkout(client, session, catalog.tts)
    assert response.headers["Location"] == "/cart"
    assert purchases() == []
    assert cart_count() == 1


def test_htmx_checkout_redirects_with_hx_redirect(client, session, catalog, fake_stripe):
    put_in_cart(session, USER, catalog.tts)
    sign_in(client, USER)
    response = client.post("/checkout", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith("https://checkout.stripe.test/")


def test_cart_page_has_a_checkout_button(client, session, catalog):
    put_in_cart(session, USER, catalog.tts)
    sign_in(client, USER)
    html = client.get("/cart").get_data(as_text=True)
    assert 'action="/checkout"' in html and ">Checkout</button>" in html


# Refusals -----------------------------------------------------------------------------------


def refused(client) -> str:
    response = client.post("/checkout")
    assert response.status_code == 303
    assert response.headers["Location"] == "/cart"
    return client.get("/cart").get_data(as_text=True)


def test_anonymous_shoppers_are_sent_to_sign_in(client, catalog):
    response = client.post("/checkout")
    assert response.status_code == 303
    assert (
        "next=%2Fcart" in response.headers["Location"]
        or "next=/cart" in response.headers["Location"]
    )


def test_empty_cart_is_refused(client, catalog, fake_stripe):
    sign_in(client, USER)
    assert "Your cart is empty." in refused(client)
    assert fake_stripe.requests == []


def test_owned_add_on_is_refused(client, session, catalog, fake_stripe):
    from marketplace.models import UserAddOn

    session.add(UserAddOn(user_id=USER, add_on_id=catalog.tts.id, status="active"))
    session.commit()
    put_in_cart(session, USER, catalog.tts)
    sign_in(client, USER)
    assert "You already own Unicorn Orator - TTS" in refused(client)
    assert purchases() == []


def test_expired_promo_is_refused(client, session, catalog, fake_stripe):
    code = catalog.codes["LAUNCH2025"]
    put_in_cart(session, USER, catalog.tts)
    with_promo(sign_in(client, USER), "LAUNCH2025")
    code.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.commit()
    assert "The code LAUNCH2025 can&#39;t be used" in refused(client)
    assert fake_stripe.requests == []


def test_changed_price_is_shown_then_the_second_attempt_goes_through(
    client, session, catalog, fake_stripe
):
    put_in_cart(session, USER, catalog.tts)
    catalog.tts.base_price = Decimal("12.99")
    session.commit()
    sign_in(client, USER)

    assert "Unicorn Orator - TTS from $9.99 to $12.99" in refused(client)
    assert purchases() == []

    assert client.post("/checkout").status_code == 303
    assert [p.amount for p in purchases()] == [Decimal("12.99")]


def test_monthly_and_annual_lines_must_be_checked_out_separately(
    client, session, catalog, fake_stripe
):
    catalog.gpu.billing_type = "annual"
    session.commit()
    put_in_cart(session, USER, catalog.tts, catalog.gpu)
    sign_in(client, USER)
    assert "Monthly and annual add-ons must be checked out separately" in refused(client)
    assert fake_stripe.requests == []


def test_one_time_lines_go_with_monthly_ones(client, session, catalog, fake_stripe):
    catalog.gpu.billing_type = "one_time"
    session.commit()
    start_checkout(client, session, catalog.tts, catalog.gpu)
    [form] = fake_stripe.created_sessions()
    assert form["mode"] == "subscription"
    assert "line_items[1][price_data][recurring][interval]" not in form


# After the purchase -------------------------------------------------------------------------


def bought_subscription(client, session, catalog, fake_stripe):
    session_id = open_checkout(client, session, fake_stripe, catalog.tts)
    paid = fake_stripe.complete(session_id)
    post_webhook(client, event("checkout.session.completed", paid))
    return paid


def test_invoice_paid_renewal_extends_expiry(client, session, catalog, fake_stripe):
    paid = bought_subscription(client, session, catalog, fake_stripe)
    period_end = datetime.now(UTC).replace(microsecond=0) + timedelta(days=62)
    renewal = fake_stripe.pay_renewal(paid["subscription"], int(period_end.timestamp()))
    post_webhook(client, renewal)
    post_webhook(client, renewal)
    assert holdings()[catalog.tts.slug].expires_at == period_end


def test_subscription_deleted_cancels_and_terminates_in_lago(
    client, session, catalog, fake_stripe, fake_lago
):
    paid = bought_subscription(client, session, catalog, fake_stripe)
    deleted = event(
        "customer.subscription.deleted", {"id": paid["subscription"], "object": "subscription"}
    )
    post_webhook(client, deleted)
    post_webhook(client, deleted)
    held = holdings()[catalog.tts.slug]
    assert (held.status, held.auto_renew) == ("cancelled", False)
    assert held.cancelled_at is not None
    assert fake_lago.subscriptions[str(held.id)]["status"] == "terminated"
    assert outbox_count() == 2


def test_charge_refunded_refunds_the_purchase_and_suspends(client, session, catalog, fake_stripe):
    paid = bought_subscription(client, session, catalog, fake_stripe)
    refunded = event(
        "charge.refunded",
        {
            "id": "ch_1",
            "object": "charge",
            "amount": 999,
            "amount_refunded": 999,
            "invoice": paid["invoice"],
            "payment_intent": "pi_of_the_invoice",
        },
    )
    post_webhook(client, refunded)
    [row] = purchases()
    assert (row.status, row.refund_amount) == ("refunded", Decimal("9.99"))
    assert row.refunded_at is not None
    assert holdings()[catalog.tts.slug].status == "suspended"


def test_lago_down_keeps_the_outbox_and_sync_billing_delivers_later(
    client, runner, session, catalog, fake_stripe, fake_lago
):
    fake_lago.down = True
    bought_subscription(client, session, catalog, fake_stripe)
    assert [p.status for p in purchases()] == ["completed"]
    [entry] = db.session.scalars(select(BillingOutboxEntry)).all()
    assert (entry.status, entry.attempts) == ("pending", 1)
    assert "503" in entry.last_error or "Service Unavailable" in entry.last_error

    fake_lago.down = False
    entry.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    result = runner.invoke(args=["maintain", "sync-billing"])

    assert result.exit_code == 0, result.output
    assert "delivered 1" in result.output
    db.session.expire_all()
    assert db.session.get(BillingOutboxEntry, entry.id).status == "delivered"
    assert holdings()[catalog.tts.slug].lago_subscription_id is not None


# The shopper cancels or stops renewal in "My add-ons": Stripe and Lago follow --------------------


def cancel_in_account(client, held, reason="Not using it"):
    # buffered: the response is closed as a WSGI server does, so after-response delivery runs.
    return client.post(f"/account/add-ons/{held.id}/cancel", data={"reason": reason}, buffered=True)


def entries(kind: str) -> list[BillingOutboxEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(BillingOutboxEntry).where(BillingOutboxEntry.kind == kind))
    )


def test_cancel_cancels_in_stripe_and_terminates_in_lago(
    client, session, catalog, fake_stripe, fake_lago
):
    paid = bought_subscription(client, session, catalog, fake_stripe)
    held = holdings()[catalog.tts.slug]

    response = cancel_in_account(client, held)

    assert response.status_code == 303
    held = holdings()[catalog.tts.slug]
    assert (held.status, held.auto_renew) == ("cancelled", False)
    assert fake_stripe.subscription_calls() == [("DELETE", paid["subscription"], {})]
    assert fake_stripe.subscriptions[paid["subscription"]]["status"] == "canceled"
    assert fake_lago.subscriptions[str(held.id)]["status"] == "terminated"
    assert [e.status for e in entries("stripe.subscription.cancel")] == ["delivered"]
    assert [e.status for e in entries("lago.subscription.terminate")] == ["delivered"]

    # Stripe then reports the subscription deleted: the cancelled row stays as the shopper left it.
    deleted = event(
        "customer.subscription.deleted", {"id": paid["subscription"], "object": "subscription"}
    )
    assert post_webhook(client, deleted).status_code == 200
    after = holdings()[catalog.tts.slug]
    assert (after.status, after.cancellation_reason, after.cancelled_at) == (
        "cancelled",
        "Not using it",
        held.cancelled_at,
    )
    assert outbox_count() == 3  # create, terminate, cancel: nothing more
    assert len(fake_stripe.subscription_calls()) == 1


def test_stripe_down_at_cancel_keeps_the_entry_and_sync_billing_delivers_it(
    client, runner, session, catalog, fake_stripe, fake_lago
):
    paid = bought_subscription(client, session, catalog, fake_stripe)
    held = holdings()[catalog.tts.slug]
    fake_stripe.mode = "error"

    response = cancel_in_account(client, held)

    assert response.status_code == 303
    assert holdings()[catalog.tts.slug].status == "cancelled"
    [entry] = entries("stripe.subscription.cancel")
    assert (entry.status, entry.attempts, entry.payload) == (
        "pending",
        1,
        {"subscription_id": paid["subscription"]},
    )
    assert "Stripe" in entry.last_error
    assert fake_stripe.subscriptions[paid["subscription"]]["status"] == "active"
    assert fake_lago.subscriptions[str(held.id)]["status"] == "terminated"

    fake_stripe.mode = None
    fake_stripe.requests.clear()
    entry.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    result = runner.invoke(args=["maintain", "sync-billing"])

    assert result.exit_code == 0, result.output
    assert "delivered 1, failed 0" in result.output and "0 pending" in result.output
    assert fake_stripe.subscription_calls() == [("DELETE", paid["subscription"], {})]
    assert [e.status for e in entries("stripe.subscription.cancel")] == ["delivered"]


def test_auto_renew_switch_sets_cancel_at_period_end_in_stripe(
    client, session, catalog, fake_stripe
):
    paid = bought_subscription(client, session, catalog, fake_stripe)
    url = f"/account/add-ons/{holdings()[catalog.tts.slug].id}/auto-renew"

    client.post(url, data={"auto_renew": "off"}, buffered=True)
    assert fake_stripe.subscriptions[paid["subscription"]]["cancel_at_period_end"] is True
    client.post(url, data={"auto_renew": "on"}, buffered=True)

    assert [(m, f["cancel_at_period_end"]) for m, _, f in fake_stripe.subscription_calls()] == [
        ("POST", "true"),
        ("POST", "false"),
    ]
    assert fake_stripe.subscriptions[paid["subscription"]]["cancel_at_period_end"] is False
    assert {e.status for e in entries("stripe.subscription.renewal")} == {"delivered"}


def bought_together(client, session, catalog, fake_stripe):
    """TTS and STT bought in one checkout: one Stripe subscription with an item for each."""
    session_id = open_checkout(client, session, fake_stripe, catalog.tts, catalog.stt)
    paid = fake_stripe.complete(session_id)
    post_webhook(client, event("checkout.session.completed", paid))
    fake_stripe.requests.clear()
    return paid, holdings()


def item_deletes(fake_stripe) -> list[tuple[str, dict[str, str]]]:
    return [(path, form) for method, path, form in fake_stripe.item_calls() if method == "DELETE"]


def subscription_changes(fake_stripe) -> list[tuple[str, str, dict[str, str]]]:
    return [call for call in fake_stripe.subscription_calls() if call[0] != "GET"]


def test_checkout_line_items_name_their_add_on(client, session, catalog, fake_stripe):
    start_checkout(client, session, catalog.tts, catalog.stt)
    [form] = fake_stripe.created_sessions()
    metadata = "[price_data][product_data][metadata][add_on_id]"
    assert form[f"line_items[0]{metadata}"] == str(catalog.tts.id)
    assert form[f"line_items[1]{metadata}"] == str(catalog.stt.id)


def test_cancelling_one_of_two_add_ons_removes_only_its_item(
    client, session, catalog, fake_stripe, fake_lago
):
    paid, held = bought_together(client, session, catalog, fake_stripe)
    subscription = paid["subscription"]
    tts_item = next(
        i for i, a in fake_stripe.items_of(subscription).items() if a == str(catalog.tts.id)
    )

    assert cancel_in_account(client, held[catalog.tts.slug]).status_code == 303

    assert item_deletes(fake_stripe) == [
        (f"/v1/subscription_items/{tts_item}", {"proration_behavior": "none"})
    ]
    assert subscription_changes(fake_stripe) == []
    assert fake_stripe.subscriptions[subscription]["status"] == "active"
    assert list(fake_stripe.items_of(subscription).values()) == [str(catalog.stt.id)]
    after = holdings()
    assert after[catalog.tts.slug].status == "cancelled"
    assert (after[catalog.stt.slug].status, after[catalog.stt.slug].auto_renew) == ("active", True)
    assert fake_lago.subscriptions[str(after[catalog.stt.slug].id)]["status"] == "active"
    [entry] = entries("stripe.subscription.item.remove")
    assert (entry.status, entry.payload) == (
        "delivered",
        {"subscription_id": subscription, "add_on_id": str(catalog.tts.id), "cancel_if_last": True},
    )

    # Delivered again (a retry after a lost answer): the item is gone already, so it is done.
    entry.status, entry.next_attempt_at = "pending", datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    report = outbox.deliver(db.session, payments=payments_for(client.application.config))
    assert (report.delivered, report.failed) == (1, 0)
    assert len(item_deletes(fake_stripe)) == 1

    # The last add-on cancelled: the subscription itself is cancelled at once.
    cancel_in_account(client, after[catalog.stt.slug])
    assert subscription_changes(fake_stripe) == [("DELETE", subscription, {})]
    assert fake_stripe.subscriptions[subscription]["status"] == "canceled"
    assert len(item_deletes(fake_stripe)) == 1


def test_auto_renew_off_for_one_of_two_removes_its_item_and_renewal_skips_it(
    client, session, catalog, fake_stripe
):
    paid, held = bought_together(client, session, catalog, fake_stripe)
    subscription = paid["subscription"]
    tts_paid_until = held[catalog.tts.slug].expires_at
    url = f"/account/add-ons/{held[catalog.tts.slug].id}/auto-renew"

    client.post(url, data={"auto_renew": "off"}, buffered=True)

    [(path, form)] = item_deletes(fake_stripe)
    assert form == {"proration_behavior": "none"}
    assert list(fake_stripe.items_of(subscription).values()) == [str(catalog.stt.id)]
    assert subscription_changes(fake_stripe) == []  # renews, for STT only
    assert fake_stripe.subscriptions[subscription]["cancel_at_period_end"] is False
    assert [e.status for e in entries("stripe.subscription.item.remove")] == ["delivered"]

    # Back on is refused: the item is gone, and only a checkout prices it again.
    calls = len(fake_stripe.requests)
    refused = client.post(url, data={"auto_renew": "on"}, headers={"HX-Request": "true"})
    assert refused.status_code == 409
    assert "renews with a new checkout" in refused.get_data(as_text=True)
    assert holdings()[catalog.tts.slug].auto_renew is False
    assert len(fake_stripe.requests) == calls

    period_end = datetime.now(UTC).replace(microsecond=0) + timedelta(days=62)
    post_webhook(client, fake_stripe.pay_renewal(paid["subscription"], int(period_end.timestamp())))

    after = holdings()
    assert after[catalog.stt.slug].expires_at == period_end
    assert after[catalog.tts.slug].expires_at == tts_paid_until < period_end  # runs out as paid
    assert after[catalog.tts.slug].status == "active"


def test_auto_renew_off_for_the_last_item_ends_the_subscription_with_the_period(
    client, session, catalog, fake_stripe
):
    paid, held = bought_together(client, session, catalog, fake_stripe)
    subscription = paid["subscription"]
    cancel_in_account(client, held[catalog.tts.slug])

    client.post(
        f"/account/add-ons/{held[catalog.stt.slug].id}/auto-renew",
        data={"auto_renew": "off"},
        buffered=True,
    )

    assert len(item_deletes(fake_stripe)) == 1  # TTS's only
    assert subscription_changes(fake_stripe) == [
        ("POST", subscription, {"cancel_at_period_end": "true"})
    ]
    assert fake_stripe.subscriptions[subscription]["status"] == "active"
    assert list(fake_stripe.items_of(subscription).values()) == [str(catalog.stt.id)]


def test_removing_an_item_of_an_ended_or_unknown_subscription_is_done(
    app, session, catalog, fake_stripe
):
    provider = payments_for(app.config)
    provider.remove_subscription_item("sub_unknown", str(catalog.tts.id), cancel_if_last=True)
    fake_stripe.subscriptions["sub_ended"] = {
        "id": "sub_ended",
        "object": "subscription",
        "status": "canceled",
        "cancel_at_period_end": False,
        "metadata": {},
        "items": [],
    }
    provider.remove_subscription_item("sub_ended", str(catalog.tts.id), cancel_if_last=False)
    assert [m for m, _, _, _ in fake_stripe.requests] == ["GET", "GET"]


def test_lago_termination_waits_for_a_creation_still_owed(
    client, runner, session, catalog, fake_stripe, fake_lago
):
    fake_lago.down = True
    bought_subscription(client, session, catalog, fake_stripe)
    held = holdings()[catalog.tts.slug]
    cancel_in_account(client, held)
    [create] = entries("lago.subscription.create")
    [terminate] = entries("lago.subscription.terminate")
    assert (create.status, terminate.status) == ("pending", "pending")

    fake_lago.down = False
    terminate.next_attempt_at = datetime.now(UTC) - timedelta(seconds=2)  # due first
    create.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    runner.invoke(args=["maintain", "sync-billing"])  # terminate waits, create goes
    db.session.expire_all()
    terminate = db.session.get(BillingOutboxEntry, terminate.id)
    assert "waiting for the Lago subscription" in terminate.last_error
    terminate.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    result = runner.invoke(args=["maintain", "sync-billing"])

    assert "0 pending" in result.output, result.output
    assert fake_lago.subscriptions[str(held.id)]["status"] == "terminated"


def test_an_item_without_an_add_on_id_is_left_for_a_person(app, session, catalog, fake_stripe):
    """Bought before items named their add-on: nothing is guessed, the entry stays failing."""
    fake_stripe.subscriptions["sub_old"] = {
        "id": "sub_old",
        "object": "subscription",
        "status": "active",
        "cancel_at_period_end": False,
        "metadata": {},
        "items": [subscription_item("sub_old", {"id": "prod_old", "metadata": {}}, 999, 1)] * 2,
    }
    with pytest.raises(PaymentError, match="without an add_on_id"):
        payments_for(app.config).remove_subscription_item(
            "sub_old", str(catalog.tts.id), cancel_if_last=True
        )
    assert [m for m, _, _ in fake_stripe.item_calls()] == ["GET"]
