"""Where mail goes without a server (.eml files under the instance folder), the address kept
at sign-in, and production's refusal to start without a mail server."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import ShopperContact
from tests.fixtures.database import PRODUCTION_CONFIG, make_app
from tests.integration.checkout.fakes import event
from tests.integration.checkout.steps import USER, open_checkout, post_webhook


@pytest.fixture
def app_overrides(fake_stripe, fake_lago, tmp_path) -> dict:
    """No MAIL_SERVER: e-mail is written under a folder of the test's own."""
    from tests.fixtures.fakes import stripe_config

    return {**stripe_config(fake_stripe, fake_lago), "MAIL_FILE_DIR": str(tmp_path / "mail")}


def contact(user_id: str = USER) -> ShopperContact | None:
    db.session.expire_all()
    return db.session.scalar(select(ShopperContact).where(ShopperContact.user_id == user_id))


def test_without_a_mail_server_each_letter_is_an_eml_file_and_the_log_says_where(
    app, client, session, catalog, fake_stripe, caplog
):
    client.post("/login", data={"user_id": USER, "email": "ada@example.test", "tier": ""})
    session_id = open_checkout(client, session, fake_stripe, catalog.tts)

    post_webhook(client, event("checkout.session.completed", fake_stripe.complete(session_id)))

    [path] = sorted(Path(app.config["MAIL_FILE_DIR"]).glob("*.eml"))
    assert f"e-mail not sent (no MAIL_SERVER), written to {path}" in caplog.text
    mail = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert mail["To"] == "ada@example.test"
    assert mail["Subject"].endswith(" confirmed: $9.99")
    assert [a.get_content_type() for a in mail.iter_attachments()] == ["application/pdf"]


def test_the_default_folder_is_mail_under_the_instance_folder(app):
    from marketplace.config import INSTANCE_PATH, Settings

    assert Settings().mail_file_dir == str(INSTANCE_PATH / "mail")


def test_the_development_form_keeps_the_address_and_name_for_later_mail(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'value="dev-user@example.test"' in page and 'type="email"' in page
    assert 'data-mail-domain="example.test"' in page and "js/dev-login.js" in page

    client.post("/login", data={"user_id": "ada", "email": "ada@example.test", "tier": ""})
    assert contact("ada").email == "ada@example.test"

    client.post("/logout")
    client.post("/login", data={"user_id": "ada", "email": "", "tier": ""})
    assert contact("ada").email == "ada@example.test"  # left empty: made from the user id

    # The prefilled address left as it was follows the user id typed (as the page's script does).
    client.post("/logout")
    client.post("/login", data={"user_id": "bo", "email": "dev-user@example.test", "tier": ""})
    assert contact("bo").email == "bo@example.test"


def test_the_development_form_refuses_what_is_not_an_address(client):
    response = client.post("/login", data={"user_id": "ada", "email": "not an address"})

    assert response.status_code == 422
    assert "Enter an e-mail address" in response.get_data(as_text=True)
    assert contact("ada") is None


def test_production_refuses_to_start_without_a_mail_server(database_url):
    with pytest.raises(SystemExit) as refused:
        make_app(database_url, **{**PRODUCTION_CONFIG, "MAIL_SERVER": None})

    assert str(refused.value) == (
        "Error: MARKETPLACE_ENV=production refuses to start without MAIL_SERVER."
    )
