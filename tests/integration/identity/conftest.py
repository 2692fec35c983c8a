"""Identity scenarios: the app accepts the static API token, and is wired to the local Keycloak
or has CSRF protection on when a test asks for `oidc_client` or `csrf_client`."""

from __future__ import annotations

import pytest

from tests.fixtures.identity import identity_app_overrides


@pytest.fixture
def app_overrides(request) -> dict:
    return identity_app_overrides(request)


@pytest.fixture
def csrf_client(client):
    """The test's `client`; asking for it turns CSRF protection on (`identity_app_overrides`)."""
    return client
