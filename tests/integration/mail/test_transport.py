"""The SMTP transport against a real server that wants a login, and the letter it carries."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime

import pytest

from marketplace.mail.compose import Letter, message
from marketplace.mail.transport import SmtpTransport
from tests.fixtures.mail import SmtpServer

# A test server has no certificate, so it takes the login over the plain connection.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
LINKS = {"shop": "https://shop.test/", "add_ons": "https://shop.test/account/add-ons"}


@pytest.fixture
def guarded_server():
    server = SmtpServer(login=("shop", "s3cret")).start()
    yield server
    server.stop()


def cancelled_letter(name: str | None = "Zoë Example") -> Letter:
    return Letter(
        to="zoe@example.test",
        name=name,
        subject="Unicorn Orator - TTS is cancelled",
        template="subscription_cancelled",
        context={
            "add_on": "Unicorn Orator - TTS",
            "by_shopper": True,
            "cancelled_at": datetime(2026, 11, 26, tzinfo=UTC),
            "access_until": None,
            "refunded": None,
            "currency": "USD",
            "links": LINKS,
        },
    )


def transport(server: SmtpServer, **login) -> SmtpTransport:
    return SmtpTransport(host="127.0.0.1", port=server.port, timeout=2, **login)


def test_a_server_that_wants_a_login_gets_it_and_takes_the_letter(guarded_server):
    mail = message(cancelled_letter(), sender="Shop <no-reply@shop.test>")

    transport(guarded_server, username="shop", password="s3cret").send(mail)

    [received] = guarded_server.messages
    assert received["To"] == "Zoë Example <zoe@example.test>"
    assert received["From"] == "Shop <no-reply@shop.test>"
    assert received["Message-ID"].endswith("@shop.test>")
    assert "You cancelled Unicorn Orator - TTS on 26 November 2026." in (
        received.get_body(preferencelist=("plain",)).get_content()
    )


@pytest.mark.parametrize(
    "login", [{}, {"username": "shop", "password": "wrong"}], ids=["no login", "wrong password"]
)
def test_without_the_right_login_the_send_fails_so_the_outbox_retries(guarded_server, login):
    mail = message(cancelled_letter(), sender="Shop <no-reply@shop.test>")

    with pytest.raises(smtplib.SMTPException):
        transport(guarded_server, **login).send(mail)

    assert guarded_server.messages == []
