"""Admin scenarios: clients signed in as an admin, a support agent and a shopper."""

from __future__ import annotations

import pytest

from marketplace.models import FeatureDefinition
from marketplace.vocabulary import Role
from tests.fixtures.shoppers import sign_in
from tests.integration.admin.analytics_history import make_history


@pytest.fixture
def admin_client(app):
    return sign_in(app.test_client(), "admin-ada", role=Role.ADMIN)


@pytest.fixture
def support_client(app):
    return sign_in(app.test_client(), "support-sam", role=Role.SUPPORT)


@pytest.fixture
def shopper_client(app):
    return sign_in(app.test_client(), "shopper-sue")


@pytest.fixture
def history(session):
    """The hand-computed subscription history of analytics_history.py, rollups refreshed."""
    return make_history(session)


@pytest.fixture
def feature_definitions(session) -> list[str]:
    """Two platform features an add-on can be mapped to; their keys."""
    session.add_all(
        [
            FeatureDefinition(key="tts_neural_voices", name="Neural voices"),
            FeatureDefinition(key="tts_languages", name="Speech in 30 languages"),
        ]
    )
    session.flush()
    return ["tts_languages", "tts_neural_voices"]
