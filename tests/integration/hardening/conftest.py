"""Hardening scenarios: the app as the other integration tests build it, plus a webhook secret
and an API token, and a log of the SQL each request runs."""

from __future__ import annotations

import functools

import pytest

from tests.fixtures.database import recorded_statements
from tests.integration.checkout.fakes import WEBHOOK_SECRET
from tests.integration.hardening.inputs import API_TOKEN


@pytest.fixture
def app_overrides() -> dict:
    """The root `app` (one rolled-back transaction), with webhooks and the API switched on."""
    return {"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "MARKETPLACE_API_TOKENS": (API_TOKEN,)}


@pytest.fixture
def sql_log(app):
    """Record the SQL statements (with their parameters) run inside the block."""
    return functools.partial(recorded_statements, with_parameters=True)
