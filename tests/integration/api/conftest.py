"""The API's tests: an app that knows a static service token and allows one CORS origin."""

from __future__ import annotations

import pytest

SERVICE_TOKEN = "api-service-token-0123456789"
CONSOLE = "https://console.example.com"
PROBLEM = "application/problem+json"


@pytest.fixture
def app_overrides() -> dict:
    return {"MARKETPLACE_API_TOKENS": (SERVICE_TOKEN,), "API_CORS_ORIGINS": (CONSOLE,)}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int, **fields) -> dict:
    """`response` is an RFC 9457 problem of `status` (and holds `fields`); return its body."""
    assert response.status_code == status, response.text
    assert response.mimetype == PROBLEM
    body = response.json
    assert body["status"] == status and body["type"] == "about:blank"
    assert body["instance"] == response.request.path
    assert body["title"] and body["detail"]
    for name, value in fields.items():
        assert body[name] == value
    return body
