"""Sign-in against a local Keycloak: the whole code flow, and every way it must refuse."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from marketplace.models import ShopperContact
from tests.fixtures.identity import bound_app, oidc_settings, oidc_sign_in, start_sign_in
from tests.fixtures.shoppers import session_of


def test_sign_in_stores_user_tier_and_admin_role(oidc_client, keycloak):
    response = oidc_sign_in(oidc_client, "/account/add-ons")

    assert response.status_code == 303
    assert response.headers["Location"] == "/account/add-ons"
    stored = session_of(oidc_client)
    assert stored["user"] == {
        "id": "kc-user-1",
        "tier": "pro",
        "is_admin": True,
        "role": "admin",
        "name": "Ada Lovelace",
        "gen": 0,  # the user's session generation (tests/integration/security)
    }
    assert stored["id_token"]
    # Authorization code + PKCE (S256), state and nonce.
    [asked] = keycloak.authorize_requests
    assert asked["code_challenge_method"] == "S256"
    assert asked["code_challenge"] and asked["state"] and asked["nonce"]
    assert asked["client_id"] == "marketplace"
    assert "openid" in asked["scope"].split()
    [exchanged] = keycloak.token_requests
    assert exchanged["grant_type"] == "authorization_code"
    assert exchanged["code_verifier"]
    page = oidc_client.get("/account/add-ons")
    assert page.status_code == 200
    assert "Welcome, Ada Lovelace. You are signed in." in page.text
    assert "Pro" in page.text


def test_sign_in_keeps_the_email_claim_for_the_shops_mail(oidc_client, keycloak, session):
    assert oidc_sign_in(oidc_client).status_code == 303

    assert contact_of(session, "kc-user-1") == ("ada@example.test", "Ada Lovelace")


def test_without_an_email_claim_no_address_is_kept(oidc_client, keycloak, session):
    keycloak.user.email = None

    assert oidc_sign_in(oidc_client).status_code == 303

    assert contact_of(session, "kc-user-1") is None


def contact_of(session, user_id: str) -> tuple[str, str | None] | None:
    row = session.get(ShopperContact, user_id, populate_existing=True)
    return None if row is None else (row.email, row.name)


def test_roles_come_from_the_access_token(oidc_client, keycloak):
    keycloak.user.roles = ("offline_access",)
    keycloak.tamper = {"id_token": {"subscription_tier": None}}
    keycloak.user.tier = "enterprise"

    oidc_sign_in(oidc_client)

    user = session_of(oidc_client)["user"]
    assert user["is_admin"] is False
    assert user["tier"] == "enterprise"


def test_the_support_role_makes_read_only_staff(oidc_client, keycloak):
    keycloak.user.roles = ("marketplace-support",)

    oidc_sign_in(oidc_client)

    user = session_of(oidc_client)["user"]
    assert (user["role"], user["is_admin"]) == ("support", False)
    assert oidc_client.get("/admin/audit/").status_code == 200
    assert oidc_client.post("/admin/catalog/add-ons/bulk").status_code == 403


def test_admin_role_name_is_configurable(database_url, keycloak):
    keycloak.user.roles = ("shop-admin",)
    with bound_app(database_url, **oidc_settings(keycloak, OIDC_ADMIN_ROLE="shop-admin")) as app:
        client = app.test_client()
        oidc_sign_in(client)
        assert session_of(client)["user"]["is_admin"] is True


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ({"sign_id_token_with": "forged"}, "signature doesn&#39;t match"),
        ({"sign_access_token_with": "forged"}, "signature doesn&#39;t match"),
        ({"id_token": {"iss": "http://evil.example/realms/platform"}}, "another sign-in service"),
        ({"access_token": {"iss": "http://evil.example/realms/platform"}}, "another sign-in"),
        ({"id_token": {"aud": "another-client", "azp": "another-client"}}, "another application"),
        ({"access_token": {"aud": "account", "azp": "another-client"}}, "another application"),
        ({"id_token": {"exp": int(time.time()) - 600}}, "it has expired"),
        ({"access_token": {"exp": int(time.time()) - 600}}, "it has expired"),
        ({"id_token": {"nonce": "not-the-nonce-we-sent"}}, "this sign-in attempt"),
        ({"access_token": {"sub": "someone-else"}}, "belongs to another user"),
    ],
    ids=[
        "id-token-forged",
        "access-token-forged",
        "id-token-wrong-issuer",
        "access-token-wrong-issuer",
        "id-token-wrong-audience",
        "access-token-wrong-audience",
        "id-token-expired",
        "access-token-expired",
        "wrong-nonce",
        "access-token-of-another-user",
    ],
)
def test_bad_tokens_are_refused_with_a_message(oidc_client, keycloak, tamper, message):
    for which in ("sign_id_token_with", "sign_access_token_with"):
        if tamper.get(which) == "forged":
            tamper[which] = keycloak.forged_key
    keycloak.tamper = tamper

    response = oidc_sign_in(oidc_client)

    assert response.status_code == 401
    assert "Sign-in failed" in response.text
    assert "We couldn&#39;t verify your sign-in: " in response.text
    assert message in response.text
    assert "user" not in session_of(oidc_client)


def test_a_replayed_state_is_refused(oidc_client, keycloak):
    callback = start_sign_in(oidc_client)
    assert oidc_client.get(callback).status_code == 303

    replay = oidc_client.get(callback)

    assert replay.status_code == 400
    assert "already used or has expired" in replay.text


def test_a_callback_without_state_is_refused(oidc_client, keycloak):
    start_sign_in(oidc_client)

    response = oidc_client.get("/auth/callback?code=whatever")

    assert response.status_code == 400
    assert "already used or has expired" in response.text
    assert "user" not in session_of(oidc_client)


def test_a_provider_error_is_shown(oidc_client, keycloak):
    start_sign_in(oidc_client)

    response = oidc_client.get(
        "/auth/callback?error=access_denied&error_description=User+denied+consent&state=x"
    )

    assert response.status_code == 400
    assert "User denied consent" in response.text


def test_a_code_the_provider_rejects_is_refused(oidc_client, keycloak):
    callback = start_sign_in(oidc_client)
    keycloak.codes.clear()  # the code expired at the provider

    response = oidc_client.get(callback)

    assert response.status_code == 400
    assert "refused the sign-in" in response.text


def test_an_unreachable_provider_is_a_friendly_page(database_url, keycloak):
    settings = oidc_settings(keycloak, OIDC_ISSUER="http://127.0.0.1:9/realms/none")
    with bound_app(database_url, **settings) as app:
        response = app.test_client().get("/login")

    assert response.status_code == 503
    assert "can&#39;t be reached" in response.text


def test_next_is_only_followed_to_this_site(oidc_client, keycloak):
    response = oidc_sign_in(oidc_client, "https://evil.example/steal")

    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_keycloak_session(oidc_client, keycloak):
    oidc_sign_in(oidc_client)
    id_token = session_of(oidc_client)["id_token"]

    assert oidc_client.get("/logout").status_code == 200
    response = oidc_client.post("/logout")

    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert (
        f"{target.scheme}://{target.netloc}{target.path}"
        == keycloak.discovery()["end_session_endpoint"]
    )
    params = parse_qs(target.query)
    assert params["id_token_hint"] == [id_token]
    assert params["post_logout_redirect_uri"] == ["http://localhost/"]
    assert "user" not in session_of(oidc_client)


def test_signed_in_header_offers_account_and_sign_out(oidc_client, keycloak):
    oidc_sign_in(oidc_client)

    page = oidc_client.get("/").text

    assert 'href="/account/add-ons"' in page and 'href="/account/purchases"' in page
    assert 'action="/logout"' in page
