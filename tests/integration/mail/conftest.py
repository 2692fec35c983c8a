"""E-mail scenarios: the app sends through a real SMTP server on loopback; Stripe and Lago are
the local fakes."""

from __future__ import annotations

import pytest

from tests.fixtures.fakes import stripe_config


@pytest.fixture
def app_overrides(fake_stripe, fake_lago, smtp_server) -> dict:
    return {**stripe_config(fake_stripe, fake_lago), **smtp_server.config()}
