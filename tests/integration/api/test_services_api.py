"""Entitlements for platform services: who may read them, the batch form, ETags."""

from __future__ import annotations

import pytest

from tests.fixtures.identity import feature, subscribe
from tests.integration.api.conftest import SERVICE_TOKEN, assert_problem, bearer


@pytest.fixture
def holders(session, catalog):
    feature(session, catalog.tts, "voices", {"limit": 10})
    feature(session, catalog.brigade, "agents", {"max_agents": 5})
    subscribe(session, "alice", catalog.tts)
    subscribe(session, "bob", catalog.brigade)
    subscribe(session, "bob", catalog.tts, status="cancelled")
    return catalog


def test_many_users_in_one_call(client, holders):
    response = client.post(
        "/api/v1/features/lookup",
        json={"user_ids": ["bob", "alice", "nobody", "bob"]},
        headers=bearer(SERVICE_TOKEN),
    )

    assert response.status_code == 200
    assert response.json == {
        "users": [
            {
                "user_id": "bob",
                "feature_keys": ["agents"],
                "features": {"agents": {"max_agents": 5}},
            },
            {"user_id": "alice", "feature_keys": ["voices"], "features": {"voices": {"limit": 10}}},
            {"user_id": "nobody", "feature_keys": [], "features": {}},
        ]
    }


def test_the_batch_is_bounded_and_typed(client, holders):
    empty = client.post(
        "/api/v1/features/lookup", json={"user_ids": []}, headers=bearer(SERVICE_TOKEN)
    )
    too_many = client.post(
        "/api/v1/features/lookup",
        json={"user_ids": [f"u{n}" for n in range(101)]},
        headers=bearer(SERVICE_TOKEN),
    )
    wrong = client.post(
        "/api/v1/features/lookup", json={"user_ids": [7]}, headers=bearer(SERVICE_TOKEN)
    )

    assert list(assert_problem(empty, 422)["errors"]) == ["user_ids"]
    assert list(assert_problem(too_many, 422)["errors"]) == ["user_ids"]
    assert list(assert_problem(wrong, 422)["errors"]) == ["user_ids.0"]


def test_a_users_own_token_cannot_read_entitlements_as_a_service(client, holders):
    shopper = client.get("/api/v1/users/alice/features", headers=bearer("dev:shopper:alice"))
    admin = client.post(
        "/api/v1/features/lookup", json={"user_ids": ["bob"]}, headers=bearer("dev:admin:ops")
    )
    nobody = client.get("/api/v1/users/alice/features")

    assert_problem(shopper, 403)
    assert_problem(admin, 403)
    assert_problem(nobody, 401)
    assert nobody.headers["WWW-Authenticate"] == 'Bearer realm="marketplace"'


def test_the_entitlements_read_answers_304_until_they_change(client, session, holders):
    url = "/api/v1/users/alice/features"
    first = client.get(url, headers=bearer(SERVICE_TOKEN))
    tag = first.headers["ETag"]
    unchanged = client.get(url, headers={**bearer(SERVICE_TOKEN), "If-None-Match": tag})
    subscribe(session, "alice", holders.brigade)
    changed = client.get(url, headers={**bearer(SERVICE_TOKEN), "If-None-Match": tag})

    assert first.headers["Cache-Control"] == "private, no-cache"
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == tag
    assert changed.status_code == 200 and changed.json["feature_keys"] == ["agents", "voices"]
    assert changed.headers["ETag"] != tag


def test_development_tokens_are_refused_in_production_mode(app, client, holders):
    app.config["MARKETPLACE_ENV"] = "production"

    response = client.get("/api/v1/users/alice/features", headers=bearer("dev:service:x"))

    assert_problem(response, 401)
