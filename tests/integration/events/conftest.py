"""Events scenarios: real webhook receivers on 127.0.0.1 and endpoints pointing at them."""

from __future__ import annotations

import pytest

from marketplace.admin.audit.service import Actor
from marketplace.admin.webhooks.service import EndpointData, create_endpoint
from marketplace.events.emit import EVENT_TYPES
from marketplace.vocabulary import Role
from tests.fixtures.shoppers import sign_in
from tests.fixtures.webhook_receiver import WebhookReceiver

ADMIN = Actor(user_id="admin-ada", role=Role.ADMIN)


@pytest.fixture
def app_overrides() -> dict:
    # Offline payments (no Stripe keys); a receiver gets half a second to answer.
    return {"STRIPE_SECRET_KEY": None, "WEBHOOK_TIMEOUT_SECONDS": 0.5}


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def other_receiver():
    with WebhookReceiver() as running:
        yield running


def endpoint_for(session, receiver: WebhookReceiver, types=EVENT_TYPES):
    """An active endpoint posting `types` to `receiver` (on 127.0.0.1: private addresses ok)."""
    data = EndpointData(url=receiver.url, event_types=tuple(types))
    return create_endpoint(session, ADMIN, data, private_ok=True)


@pytest.fixture
def admin_client(app):
    return sign_in(app.test_client(), "admin-ada", role=Role.ADMIN)


@pytest.fixture
def support_client(app):
    return sign_in(app.test_client(), "support-sam", role=Role.SUPPORT)
