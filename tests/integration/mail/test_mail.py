"""Transactional e-mail, received by a real SMTP server: confirmation with the receipt PDF,
cancellation, refund and failed renewal; an SMTP outage delays a letter, never a purchase."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from marketplace.admin.analytics import revenue
from marketplace.analytics.periods import Bucket, Range
from marketplace.billing import outbox
from marketplace.extensions import db
from marketplace.maintenance.analytics import refresh
from marketplace.models import BillingOutboxEntry, Order
from marketplace.vocabulary import Role
from tests.fixtures.shoppers import sign_in
from tests.integration.admin.refund_steps import refund
from tests.integration.checkout.fakes import event
from tests.integration.checkout.steps import (
    USER,
    async_succeeded,
    bought_twice,
    holdings,
    open_checkout,
    post_webhook,
    purchases,
)

ADDRESS = "ada@example.test"


def sign_in_with_email(client, user_id: str = USER, email: str = ADDRESS):
    """Sign in through the development form, which keeps the address for later mail."""
    response = client.post("/login", data={"user_id": user_id, "email": email, "tier": ""})
    assert response.status_code == 303, response.text


def bought(client, session, fake_stripe, *add_ons) -> dict:
    """The signed-in shopper checks out `add_ons` and Stripe's webhook says it is paid."""
    session_id = open_checkout(client, session, fake_stripe, *add_ons)
    paid = fake_stripe.complete(session_id)
    assert post_webhook(client, event("checkout.session.completed", paid)).status_code == 200
    return paid


def parts(message) -> tuple[str, str, list]:
    """The plain text, the HTML (entities decoded) and the attachments of a received message."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, unescape(html), list(message.iter_attachments())


def number_of(checkout_session_id: str) -> str:
    """The order number a paid checkout was given."""
    db.session.expire_all()
    query = select(Order.number).where(Order.checkout_session_id == checkout_session_id)
    number = db.session.scalar(query)
    assert number is not None and number.startswith("MKT-")
    return number


def mail_entries() -> list[BillingOutboxEntry]:
    db.session.expire_all()
    query = select(BillingOutboxEntry).where(BillingOutboxEntry.kind == outbox.SEND_MAIL)
    return list(db.session.scalars(query))


def test_a_paid_checkout_sends_the_confirmation_with_its_receipt(
    client, session, catalog, fake_stripe, smtp_server
):
    sign_in_with_email(client)
    paid = bought(client, session, fake_stripe, catalog.tts, catalog.stt)

    [mail] = smtp_server.messages
    number = number_of(paid["id"])
    assert mail["Subject"] == f"Order {number} confirmed: $19.98"
    assert mail["To"] == ADDRESS
    assert mail["X-Envelope-To"] == ADDRESS
    assert mail["From"] == "Extensions Marketplace <no-reply@marketplace.localhost>"
    text, html, attachments = parts(mail)
    for body in (text, html):
        assert number in body
        assert "Unicorn Orator - TTS" in body
        assert "Amanuensis - STT" in body
        assert "$19.98" in body
        assert "http://127.0.0.1:5000/account/add-ons" in body
    assert f"Order number: {number}" in text and "Tax: none collected" in text
    assert "<table" in html and "#5b4cf0" in html  # the brand token, inline
    [receipt] = attachments
    assert receipt.get_content_type() == "application/pdf"
    assert receipt.get_filename() == f"receipt-{number}.pdf"
    pdf = PdfReader(BytesIO(receipt.get_content()))
    page = pdf.pages[0].extract_text()
    assert number in page and "Unicorn Orator - TTS" in page and "$19.98" in page
    assert [e.status for e in mail_entries()] == ["delivered"]


def test_a_redelivered_webhook_sends_no_second_confirmation(
    client, session, catalog, fake_stripe, smtp_server
):
    sign_in_with_email(client)
    paid = bought(client, session, fake_stripe, catalog.tts)

    post_webhook(client, event("checkout.session.completed", paid))

    assert len(smtp_server.messages) == 1


def test_without_an_address_the_letter_is_skipped_and_logged(
    client, session, catalog, fake_stripe, smtp_server, caplog
):
    caplog.set_level("INFO", logger="marketplace.mail.letters")
    bought(client, session, fake_stripe, catalog.tts)  # signed in without the form: no address

    assert [p.status for p in purchases()] == ["completed"]
    assert smtp_server.messages == []
    assert mail_entries() == []
    assert f"no e-mail address known for user {USER}: order_confirmation skipped" in caplog.text


def test_an_smtp_outage_keeps_the_letter_and_a_later_run_delivers_it(
    client, runner, session, catalog, fake_stripe, smtp_server
):
    sign_in_with_email(client)
    smtp_server.stop()

    bought(client, session, fake_stripe, catalog.tts)

    assert [p.status for p in purchases()] == ["completed"]
    assert holdings()[catalog.tts.slug].status == "active"
    [entry] = mail_entries()
    assert (entry.status, entry.attempts) == ("pending", 1)
    assert "Connection refused" in entry.last_error
    assert entry.next_attempt_at > datetime.now(UTC)

    smtp_server.start()
    result = runner.invoke(args=["maintain", "sync-billing"])
    assert "delivered 0" in result.output  # backing off: not due yet
    entry.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    result = runner.invoke(args=["maintain", "deliver-outbox"])

    assert result.exit_code == 0, result.output
    assert "deliver-outbox: delivered 1, failed 0" in result.output
    [mail] = smtp_server.messages
    assert (
        mail["Subject"] == f"Order {number_of(purchases()[0].checkout_session_id)} confirmed: $9.99"
    )
    [entry] = mail_entries()
    assert (entry.status, entry.attempts, entry.last_error) == ("delivered", 2, None)


def bought_while_mail_was_down(client, session, fake_stripe, catalog, smtp_server) -> None:
    """A purchase whose confirmation could not be sent (the SMTP server was down), now due."""
    sign_in_with_email(client)
    smtp_server.stop()
    bought(client, session, fake_stripe, catalog.tts)
    smtp_server.start()
    [entry] = mail_entries()
    entry.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()


def test_the_frequent_schedule_delivers_what_is_owed_and_the_analytics_follow_the_sale(
    client, runner, session, catalog, fake_stripe, smtp_server
):
    refresh(session)  # yesterday's daily full refresh, say
    session.commit()
    bought_while_mail_was_down(client, session, fake_stripe, catalog, smtp_server)
    today = Range(datetime.now(UTC).date(), datetime.now(UTC).date())
    assert revenue.daily(session, today, Bucket.DAY).total.charged == 0  # not refreshed yet

    result = runner.invoke(args=["maintain", "run", "frequent"])

    assert result.exit_code == 0, result.output
    assert (
        "Frequent maintenance done: deliver-outbox 1, refresh-analytics --incremental 8."
        in result.output
    )
    assert "refreshed 8 rollups incrementally" in result.output
    [mail] = smtp_server.messages
    assert mail["Subject"].endswith("confirmed: $9.99")
    assert revenue.daily(session, today, Bucket.DAY).total.charged == Decimal("9.99")


def test_a_dry_run_of_the_frequent_schedule_sends_nothing(
    client, runner, session, catalog, fake_stripe, smtp_server
):
    bought_while_mail_was_down(client, session, fake_stripe, catalog, smtp_server)

    result = runner.invoke(args=["maintain", "run", "frequent", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "deliver-outbox: would deliver the outbox entries due: 1 (dry run" in result.output
    assert "refresh-analytics: would refresh 8 rollups incrementally" in result.output
    assert smtp_server.messages == []
    assert mail_entries()[0].status == "pending"


def test_cancelling_sends_the_cancelled_letter(client, session, catalog, fake_stripe, smtp_server):
    sign_in_with_email(client)
    bought(client, session, fake_stripe, catalog.tts)
    held = holdings()[catalog.tts.slug]

    response = client.post(
        f"/account/add-ons/{held.id}/cancel", data={"reason": "Too dear"}, buffered=True
    )

    assert response.status_code == 303
    confirmation, cancelled = smtp_server.messages
    assert cancelled["Subject"] == "Unicorn Orator - TTS is cancelled"
    text, html, attachments = parts(cancelled)
    today = datetime.now(UTC)
    for body in (text, html):
        assert f"You cancelled Unicorn Orator - TTS on {today.day} {today:%B %Y}." in body
        assert "ended when you cancelled" in body
        assert "won't renew" in body
    assert "Refund: none for the time left" in text
    assert attachments == []


def test_a_subscription_stripe_ends_sends_the_cancelled_letter_naming_the_provider(
    client, session, catalog, fake_stripe, smtp_server
):
    sign_in_with_email(client)
    paid = bought(client, session, fake_stripe, catalog.tts)
    deleted = event(
        "customer.subscription.deleted", {"id": paid["subscription"], "object": "subscription"}
    )

    assert post_webhook(client, deleted).status_code == 200
    assert post_webhook(client, deleted).status_code == 200  # redelivered: no second letter

    confirmation, cancelled = smtp_server.messages
    assert cancelled["Subject"] == "Unicorn Orator - TTS is cancelled"
    text, html, _ = parts(cancelled)
    for body in (text, html):
        assert "Your subscription to Unicorn Orator - TTS was ended at our payment provider" in body
        assert "You cancelled" not in body and "when you cancelled" not in body
        assert "ended then" in body


def test_a_refund_webhook_sends_the_refund_letter_once(
    client, session, catalog, fake_stripe, smtp_server
):
    sign_in_with_email(client)
    paid = bought(client, session, fake_stripe, catalog.tts)
    refunded = event(
        "charge.refunded",
        {
            "id": "ch_1",
            "object": "charge",
            "amount": 999,
            "amount_refunded": 500,
            "invoice": paid["invoice"],
            "payment_intent": "pi_of_the_invoice",
        },
    )

    post_webhook(client, refunded)
    post_webhook(client, refunded)

    confirmation, refund = smtp_server.messages
    assert refund["Subject"] == "Refund issued: $5.00"
    text, html, _ = parts(refund)
    for body in (text, html):
        assert "Unicorn Orator - TTS" in body
        assert number_of(paid["id"]) in body
    assert "Amount refunded: $5.00" in text
    assert len(mail_entries()) == 2


def test_a_payment_that_cannot_be_honoured_is_refunded_and_the_letter_says_why(
    client, session, catalog, fake_stripe, smtp_server
):
    sign_in_with_email(client)
    first, second = bought_twice(client, session, catalog, fake_stripe)

    async_succeeded(client, fake_stripe, first)  # the first checkout's payment clears after all

    confirmation, refund = smtp_server.messages
    assert confirmation["Subject"] == f"Order {number_of(second)} confirmed: $9.99"
    assert refund["Subject"] == "Refund issued: $9.99"
    text, html, _ = parts(refund)
    for body in (text, html):
        assert number_of(first) in body
        assert "You already had Unicorn Orator - TTS, so this payment for it was refunded" in body


def test_a_renewal_stripe_collects_sends_its_receipt_once(
    client, session, catalog, fake_stripe, smtp_server
):
    sign_in_with_email(client)
    paid = bought(client, session, fake_stripe, catalog.tts)
    period_end = int(datetime(2027, 2, 1, tzinfo=UTC).timestamp())
    renewal = fake_stripe.pay_renewal(paid["subscription"], period_end)

    assert post_webhook(client, renewal).status_code == 200
    assert post_webhook(client, {**renewal, "id": "evt_again"}).status_code == 200

    confirmation, renewed = smtp_server.messages
    db.session.expire_all()
    number = db.session.scalar(
        select(Order.number).where(Order.invoice_id == renewal["data"]["object"]["id"])
    )
    assert renewed["Subject"] == f"Renewal {number} paid: $9.99"
    text, html, attachments = parts(renewed)
    for body in (text, html):
        assert "Your subscription renewed" in body and "Unicorn Orator - TTS" in body
        assert "your order is confirmed" not in body
    [receipt] = attachments
    assert receipt.get_filename() == f"receipt-{number}.pdf"


def test_a_failed_renewal_sends_the_renewal_failed_letter_once(
    client, session, catalog, fake_stripe, smtp_server
):
    sign_in_with_email(client)
    paid = bought(client, session, fake_stripe, catalog.tts)
    expires = holdings()[catalog.tts.slug].expires_at
    retry = datetime(2026, 12, 30, 9, 0, tzinfo=UTC)
    failed = fake_stripe.fail_renewal(paid["subscription"], 999, int(retry.timestamp()))

    assert post_webhook(client, failed).status_code == 200
    assert post_webhook(client, failed).status_code == 200

    confirmation, renewal = smtp_server.messages
    assert renewal["Subject"] == (
        "Action needed: the renewal payment for Unicorn Orator - TTS failed"
    )
    text, html, _ = parts(renewal)
    for body in (text, html):
        assert "$9.99" in body
        assert "We try again on 30 December 2026" in body
        assert f"your add-ons work until {expires.day} {expires:%B %Y}" in body
        assert "http://127.0.0.1:5000/account/add-ons" in body
        assert failed["data"]["object"]["hosted_invoice_url"] in body  # pay it now
    assert "What to do: check that the card you pay with is valid" in text
    held = holdings()[catalog.tts.slug]
    assert (held.status, held.expires_at) == ("active", expires)  # nothing marked paid
    assert [p.status for p in purchases()] == ["completed"]


def test_an_admin_refund_that_cancels_sends_the_refund_and_cancelled_letters(
    client, app, session, catalog, fake_stripe, smtp_server
):
    sign_in_with_email(client)
    paid = bought(client, session, fake_stripe, catalog.tts)
    admin = sign_in(app.test_client(), "admin-ada", role=Role.ADMIN)
    db.session.expire_all()
    order = db.session.scalars(select(Order).where(Order.user_id == USER)).one()

    assert refund(admin, order, reason="Billed twice by mistake", cancel=True).status_code == 303

    confirmation, refunded, cancelled = smtp_server.messages
    assert refunded["Subject"] == "Refund issued: $9.99"
    text, html, _ = parts(refunded)
    for body in (text, html):
        assert number_of(paid["id"]) in body and "Billed twice by mistake" in body
    assert cancelled["Subject"] == "Unicorn Orator - TTS is cancelled"
    text, html, _ = parts(cancelled)
    today = datetime.now(UTC)
    for body in (text, html):
        assert (
            f"Our team cancelled your subscription to Unicorn Orator - TTS on {today.day} "
            f"{today:%B %Y}: Billed twice by mistake" in body
        )
        assert "You cancelled" not in body and "payment provider" not in body
    assert "Refund: $9.99, to the card you paid with" in text
