"""Feature entitlements: has_feature, user_features, @requires_feature and the features API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketplace.auth.guard import requires_feature
from marketplace.entitlements import has_feature, merge_configuration, user_features
from tests.fixtures.identity import API_TOKEN, feature, subscribe
from tests.fixtures.shoppers import sign_in


@pytest.fixture
def features(session, catalog):
    """TTS enables voices (10, ["en"]) and streaming; Brigade enables voices (25, ["de"]) and
    agents; GPU enables gpu_hours; STT (disabled row) stt."""
    feature(session, catalog.tts, "voices", {"limit": 10, "languages": ["en"], "hd": False})
    feature(session, catalog.tts, "streaming", {})
    feature(session, catalog.brigade, "voices", {"limit": 25, "languages": ["de"], "hd": True})
    feature(session, catalog.brigade, "agents", {"max_agents": 5})
    feature(session, catalog.gpu, "gpu_hours", {"hours": 100})
    feature(session, catalog.stt, "stt", {}, enabled=False)
    return catalog


def test_active_add_ons_enable_their_features(session, features):
    subscribe(session, "u", features.tts)
    subscribe(session, "u", features.brigade, purchased_at=datetime.now(UTC) - timedelta(days=1))
    subscribe(session, "u", features.stt)

    assert user_features(session, "u") == {
        "agents": {"max_agents": 5},
        "streaming": {},
        "voices": {"limit": 25, "languages": ["en", "de"], "hd": True},
    }
    assert has_feature(session, "u", "voices") and has_feature(session, "u", "agents")
    assert not has_feature(session, "u", "stt")  # the row is disabled
    assert not has_feature(session, "u", "gpu_hours")


def test_cancelled_and_expired_add_ons_enable_nothing(session, features):
    subscribe(session, "u", features.tts, status="cancelled")
    subscribe(session, "u", features.brigade, expires_in_days=-1)  # active but expired
    subscribe(session, "u", features.gpu, expires_in_days=None)  # lifetime

    assert user_features(session, "u") == {"gpu_hours": {"hours": 100}}
    assert not has_feature(session, "u", "voices")
    assert has_feature(session, "u", "gpu_hours")


def test_now_decides_expiry(session, features):
    subscribe(session, "u", features.tts, expires_in_days=2)
    later = datetime.now(UTC) + timedelta(days=3)

    assert has_feature(session, "u", "voices")
    assert not has_feature(session, "u", "voices", now=later)
    assert user_features(session, "u", now=later) == {}


def test_nobody_has_features_without_add_ons(session, features):
    subscribe(session, "someone-else", features.tts)

    assert user_features(session, "u") == {}
    assert not has_feature(session, "u", "voices") and not has_feature(session, None, "voices")


def test_merge_keeps_the_more_generous_value():
    assert merge_configuration(
        {"limit": 10, "on": False, "tags": ["a"], "nested": {"n": 1}, "mode": "basic"},
        {"limit": 5, "on": True, "tags": ["a", "b"], "nested": {"n": 3, "m": 2}, "mode": "pro"},
    ) == {"limit": 10, "on": True, "tags": ["a", "b"], "nested": {"n": 3, "m": 2}, "mode": "pro"}


# The decorator ----------------------------------------------------------------------------------


@pytest.fixture
def gated_client(app, client):
    app.add_url_rule(
        "/_test/voices", "voices_only", requires_feature("voices")(lambda: "Voice studio")
    )
    return client


def test_requires_feature(gated_client, session, features):
    assert gated_client.get("/_test/voices").headers["Location"].startswith("/login?next=")

    sign_in(gated_client, "u")
    refused = gated_client.get("/_test/voices")
    assert refused.status_code == 403
    assert "needs the “voices” feature" in refused.text

    subscribe(session, "u", features.tts)
    allowed = gated_client.get("/_test/voices")
    assert allowed.status_code == 200 and allowed.text == "Voice studio"


# The API --------------------------------------------------------------------------------------


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def subscriber(session, features):
    subscribe(session, "kc-user-9", features.tts)
    subscribe(session, "kc-user-9", features.gpu, status="cancelled")
    return "kc-user-9"


def test_api_needs_a_bearer_token(client, subscriber):
    missing = client.get(f"/api/v1/users/{subscriber}/features")
    wrong = client.get(f"/api/v1/users/{subscriber}/features", headers=bearer("guess"))
    basic = client.get(
        f"/api/v1/users/{subscriber}/features", headers={"Authorization": "Basic eDp5"}
    )

    for response in (missing, wrong, basic):
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.json["status"] == 401 and response.json["title"] == "Unauthorized"
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="marketplace"')
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]


def test_api_answers_a_static_token(client, subscriber):
    response = client.get(f"/api/v1/users/{subscriber}/features", headers=bearer(API_TOKEN))

    assert response.status_code == 200
    assert response.json == {
        "user_id": "kc-user-9",
        "feature_keys": ["streaming", "voices"],
        "features": {"streaming": {}, "voices": {"limit": 10, "languages": ["en"], "hd": False}},
    }
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_api_is_csrf_exempt(csrf_client, subscriber):
    response = csrf_client.get(f"/api/v1/users/{subscriber}/features", headers=bearer(API_TOKEN))

    assert response.status_code == 200


def test_api_with_keycloak_tokens(oidc_client, keycloak, subscriber):
    url = f"/api/v1/users/{subscriber}/features"
    service = keycloak.access_token(sub="service-account-lago", roles=("marketplace-service",))
    no_role = keycloak.access_token(sub="service-account-x", roles=("offline_access",))
    forged = keycloak.access_token(roles=("marketplace-service",), key=keycloak.forged_key)
    expired = keycloak.access_token(roles=("marketplace-service",), exp=1)
    other_client = keycloak.access_token(
        roles=("marketplace-service",), aud="account", azp="another-client"
    )

    ok = oidc_client.get(url, headers=bearer(service))
    assert ok.status_code == 200 and ok.json["feature_keys"] == ["streaming", "voices"]

    refused = oidc_client.get(url, headers=bearer(no_role))
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert "marketplace-service" in refused.json["detail"]

    for token in (forged, expired, other_client):
        response = oidc_client.get(url, headers=bearer(token))
        assert response.status_code == 401, response.json
        assert response.json["title"] == "Unauthorized"

    static = oidc_client.get(url, headers=bearer(API_TOKEN))
    assert static.status_code == 200


def test_api_unknown_user_has_no_features(client, features):
    response = client.get("/api/v1/users/nobody/features", headers=bearer(API_TOKEN))

    assert response.status_code == 200
    assert response.json == {"user_id": "nobody", "feature_keys": [], "features": {}}
