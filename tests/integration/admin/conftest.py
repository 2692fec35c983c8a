"""Admin scenarios: clients signed in as an admin, a support agent and a shopper."""

from __future__ import annotations

import pytest

from marketplace.vocabulary import Role
from tests.fixtures.shoppers import sign_in


@pytest.fixture
def admin_client(app):
    return sign_in(app.test_client(), "admin-ada", role=Role.ADMIN)


@pytest.fixture
def support_client(app):
    return sign_in(app.test_client(), "support-sam", role=Role.SUPPORT)


@pytest.fixture
def shopper_client(app):
    return sign_in(app.test_client(), "shopper-sue")
