"""Checkout scenarios: the app pointed at the local fake Stripe and Lago servers; an app on a
database of its own, with real commits, for races."""

from __future__ import annotations

import pytest

from tests.fixtures.database import committing_app
from tests.fixtures.fakes import stripe_config

# Emptied before and after each race: what checkout writes, and the add-ons it sells.
CHECKOUT_TABLES = (
    "add_on_purchases, user_add_ons, cart_items, promotional_codes, stripe_events, "
    "billing_outbox, orders, add_ons"
)


@pytest.fixture
def app_overrides(fake_stripe, fake_lago) -> dict:
    """Config for the test's app: Stripe and Lago are the local fakes (offline tests override)."""
    return stripe_config(fake_stripe, fake_lago)


@pytest.fixture
def committed_app(committed_database_url, fake_stripe, fake_lago):
    # These races are about the database: room for every racer's Stripe call at once (the cap
    # that refuses the third concurrent one is tested in tests/integration/outages).
    config = {**stripe_config(fake_stripe, fake_lago), "STRIPE_MAX_CONCURRENT_CALLS": 64}
    with committing_app(committed_database_url, CHECKOUT_TABLES, **config) as app:
        yield app
