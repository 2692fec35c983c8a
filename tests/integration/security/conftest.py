"""Security scenarios: the identity tests' app (static API token, the local Keycloak on request)."""

from __future__ import annotations

import pytest

from tests.fixtures.identity import identity_app_overrides


@pytest.fixture
def app_overrides(request) -> dict:
    return identity_app_overrides(request)
