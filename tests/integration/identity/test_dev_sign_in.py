"""The development sign-in form, and production mode refusing to start without OIDC."""

from __future__ import annotations

import pytest

from marketplace.config import DEVELOPMENT_SECRET_KEY, Settings
from tests.fixtures.database import PRODUCTION_CONFIG, make_app
from tests.fixtures.shoppers import csrf_token_from, session_of


def test_login_is_a_marked_development_form(client, tiers):
    response = client.get("/login?next=/cart")

    assert response.status_code == 200
    assert "Development sign-in." in response.text
    assert 'name="user_id"' in response.text and 'name="is_admin"' in response.text
    assert '<option value="vip_founder">VIP Founder</option>' in response.text
    assert 'name="next" type="hidden" value="/cart"' in response.text


def test_dev_sign_in_stores_the_user(client, tiers):
    response = client.post(
        "/login",
        data={"user_id": "dev-7", "tier": "vip_founder", "is_admin": "y", "next": "/cart"},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/cart"
    assert session_of(client)["user"] == {
        "id": "dev-7",
        "tier": "vip_founder",
        "is_admin": True,
        "role": "admin",
        "name": None,
        "gen": 0,  # the user's session generation (tests/integration/security)
    }


def test_dev_sign_in_validates(client, tiers):
    response = client.post("/login", data={"user_id": "has spaces", "tier": "gold"})

    assert response.status_code == 422
    assert "no spaces" in response.text
    assert "Not a valid choice" in response.text
    assert "user" not in session_of(client)


def test_dev_sign_in_needs_the_csrf_token(csrf_client, tiers):
    client = csrf_client
    assert client.post("/login", data={"user_id": "dev-7"}).status_code == 400

    token = csrf_token_from(client.get("/login").text)
    response = client.post("/login", data={"user_id": "dev-7", "csrf_token": token})
    assert response.status_code == 303


def test_callback_is_absent_without_oidc(client):
    assert client.get("/auth/callback?code=x&state=y").status_code == 404


def test_sign_out_without_oidc_goes_home(client):
    client.post("/login", data={"user_id": "dev-7"})

    response = client.post("/logout")

    assert response.status_code == 303
    assert response.headers["Location"] == "http://localhost/"
    assert "user" not in session_of(client)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        (
            {},
            [
                "OIDC_ISSUER",
                "OIDC_CLIENT_ID",
                "OIDC_CLIENT_SECRET",
                "STRIPE_SECRET_KEY",
                "STRIPE_WEBHOOK_SECRET",
            ],
        ),
        (
            {
                "OIDC_ISSUER": "https://sso.example/realms/p",
                "OIDC_CLIENT_ID": "m",
                "OIDC_CLIENT_SECRET": "s",
                "STRIPE_SECRET_KEY": "sk_live_x",
                "STRIPE_WEBHOOK_SECRET": "whsec_x",
                "SECRET_KEY": DEVELOPMENT_SECRET_KEY,
            },
            ["SECRET_KEY"],
        ),
    ],
)
def test_production_refuses_to_start_without_oidc_stripe_and_a_real_key(
    database_url, overrides, named
):
    with pytest.raises(SystemExit) as refused:
        make_app(database_url, MARKETPLACE_ENV="production", **overrides)

    message = str(refused.value)
    assert "MARKETPLACE_ENV=production" in message
    for name in named:
        assert name in message


def test_production_starts_with_oidc_stripe_and_a_real_key(database_url):
    app = make_app(database_url, **PRODUCTION_CONFIG)

    assert "auth.callback" in app.view_functions


def test_settings_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("OIDC_ISSUER", "https://sso.example/realms/platform/")
    monkeypatch.setenv("OIDC_CLIENT_ID", "marketplace")
    monkeypatch.setenv("OIDC_CLIENT_SECRET", "secret")
    monkeypatch.setenv("MARKETPLACE_API_TOKENS", " one, two ,,")
    monkeypatch.delenv("OIDC_ADMIN_ROLE", raising=False)

    config = Settings.from_environ().as_flask_config()

    assert config["OIDC_ISSUER"] == "https://sso.example/realms/platform"
    assert config["OIDC_ADMIN_ROLE"] == "marketplace-admin"
    assert config["OIDC_TIER_CLAIM"] == "subscription_tier"
    assert config["OIDC_SERVICE_ROLE"] == "marketplace-service"
    assert config["MARKETPLACE_API_TOKENS"] == ("one", "two")
