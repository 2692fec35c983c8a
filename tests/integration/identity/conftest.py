"""Identity scenarios: a local Keycloak, apps wired to it, shoppers and what they own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import requests

from marketplace.models import AddOnFeature, AddOnPurchase, SubscriptionTier, UserAddOn
from tests.conftest import make_app, rolled_back
from tests.integration.cart.conftest import (  # noqa: F401  (fixtures used by these tests)
    ANON_OWNER,
    HX,
    anonymous_client,
    catalog,
    csrf_token_from,
    put_in_cart,
    sign_in,
)

from . import provider as fake

API_TOKEN = "static-dev-token-0123456789"


def bound_app(database_url: str, **overrides):
    """An app whose database sessions join one transaction rolled back at the end."""
    return rolled_back(make_app(database_url, **overrides))


@pytest.fixture(scope="session")
def keycloak_server():
    provider, server = fake.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def keycloak(keycloak_server):
    """The local Keycloak, with its default user and no tampering."""
    keycloak_server.reset()
    return keycloak_server


def oidc_settings(keycloak, **overrides):
    return {
        "OIDC_ISSUER": keycloak.issuer,
        "OIDC_CLIENT_ID": fake.CLIENT_ID,
        "OIDC_CLIENT_SECRET": fake.CLIENT_SECRET,
        "MARKETPLACE_API_TOKENS": (API_TOKEN,),
        **overrides,
    }


OIDC_FIXTURES = {"oidc_app", "oidc_client"}


@pytest.fixture
def app(request, database_url):
    """The app under test, rolled back at teardown; one per test, so `session` is its session.

    Tests that ask for `oidc_app`/`oidc_client` get it wired to the local Keycloak, tests that
    ask for `csrf_client` get CSRF protection on; every one accepts the static API token.
    """
    overrides = {"MARKETPLACE_API_TOKENS": (API_TOKEN,)}
    if OIDC_FIXTURES & set(request.fixturenames):
        overrides.update(oidc_settings(request.getfixturevalue("keycloak")))
    if "csrf_client" in request.fixturenames:
        overrides["WTF_CSRF_ENABLED"] = True
    with bound_app(database_url, **overrides) as app:
        yield app


@pytest.fixture
def oidc_app(app):
    return app


@pytest.fixture
def oidc_client(client):
    return client


@pytest.fixture
def csrf_client(client):
    return client


def start_sign_in(client, next_url: str = "/account/add-ons") -> str:
    """Follow /login to the provider and back; return the callback path with its query."""
    response = client.get("/login", query_string={"next": next_url})
    assert response.status_code == 302, response.text
    authorize = requests.get(response.headers["Location"], allow_redirects=False, timeout=5)
    assert authorize.status_code == 302
    callback = urlsplit(authorize.headers["Location"])
    return f"{callback.path}?{callback.query}"


def oidc_sign_in(client, next_url: str = "/account/add-ons"):
    return client.get(start_sign_in(client, next_url))


def session_of(client) -> dict:
    with client.session_transaction() as sess:
        return dict(sess)


# What users own --------------------------------------------------------------------------------


@pytest.fixture
def tiers(session):
    rows = [
        SubscriptionTier(code="free", name="Free", sort_order=0),
        SubscriptionTier(code="pro", name="Pro", sort_order=1),
        SubscriptionTier(code="vip_founder", name="VIP Founder", sort_order=2),
    ]
    for row in rows:
        session.merge(row)
    session.commit()
    return rows


def subscribe(session, user_id, add_on, *, status="active", expires_in_days=30, **extra):
    now = datetime.now(UTC)
    row = UserAddOn(
        user_id=user_id,
        add_on_id=add_on.id,
        status=status,
        purchased_at=extra.pop("purchased_at", now - timedelta(days=3)),
        expires_at=None if expires_in_days is None else now + timedelta(days=expires_in_days),
        **extra,
    )
    session.add(row)
    session.commit()
    return row


def feature(session, add_on, key, configuration=None, enabled=True):
    row = AddOnFeature(
        add_on_id=add_on.id, feature_key=key, configuration=configuration or {}, enabled=enabled
    )
    session.add(row)
    session.commit()
    return row


def purchase(session, user_id, add_on, *, days_ago=0, status="completed", **extra):
    row = AddOnPurchase(
        user_id=user_id,
        add_on_id=add_on.id,
        amount=extra.pop("amount", add_on.base_price),
        status=status,
        billing_type=add_on.billing_type,
        purchased_at=datetime.now(UTC) - timedelta(days=days_ago),
        discount_amount=extra.pop("discount_amount", Decimal("0")),
        **extra,
    )
    session.add(row)
    session.commit()
    return row
