"""What a shopper hears of an admin's change: the cancellation letter says our team cancelled,
a complimentary add-on comes with the $0.00 order confirmation and its receipt."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Order
from tests.fixtures.identity import subscribe
from tests.fixtures.shoppers import sign_in
from tests.integration.mail.test_mail import ADDRESS, parts, sign_in_with_email

SUBSCRIPTIONS = "/admin/subscriptions/"


def as_admin(app):
    return sign_in(app.test_client(), "admin-ada", admin=True)


def test_an_admins_cancellation_letter_says_our_team_cancelled(
    app, client, session, catalog, smtp_server
):
    sign_in_with_email(client, "uma", ADDRESS)
    held = subscribe(session, "uma", catalog.stt, auto_renew=False)
    admin = as_admin(app)
    page = admin.get(f"{SUBSCRIPTIONS}{held.id}/cancel").text
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{64})"', page).group(1)

    response = admin.post(f"{SUBSCRIPTIONS}{held.id}/cancel", data={"token": token}, buffered=True)

    assert response.status_code == 303
    [letter] = smtp_server.messages
    assert letter["Subject"] == "Amanuensis - STT is cancelled" and letter["To"] == ADDRESS
    today = datetime.now(UTC)
    for body in parts(letter)[:2]:
        assert (
            f"Our team cancelled your subscription to Amanuensis - STT on "
            f"{today.day} {today:%B %Y}." in body
        )
        assert "You cancelled" not in body


def test_a_complimentary_add_on_comes_with_its_zero_order_confirmation(
    app, client, session, catalog, smtp_server
):
    sign_in_with_email(client, "gail", ADDRESS)

    response = as_admin(app).post(
        SUBSCRIPTIONS + "grant",
        data={
            "user_id": "gail",
            "add_on_id": str(catalog.tts.id),
            "expires_at": "2030-01-01T00:00",
            "reason": "Beta tester",
        },  # fmt: skip
        buffered=True,
    )

    assert response.status_code == 303
    db.session.expire_all()
    number = db.session.scalar(select(Order.number).where(Order.user_id == "gail"))
    [letter] = smtp_server.messages
    assert letter["Subject"] == f"Order {number} confirmed: $0.00"
    text, _, attachments = parts(letter)
    assert "Unicorn Orator - TTS" in text
    assert [a.get_content_type() for a in attachments] == ["application/pdf"]
