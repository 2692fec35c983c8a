"""Hardening scenarios: the app as the other integration tests build it, plus a webhook secret
and an API token, and a log of the SQL each request runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from marketplace.extensions import db
from tests.integration.checkout.fakes import WEBHOOK_SECRET
from tests.integration.hardening.inputs import API_TOKEN


@pytest.fixture
def app_overrides() -> dict:
    """The root `app` (one rolled-back transaction), with webhooks and the API switched on."""
    return {"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "MARKETPLACE_API_TOKENS": (API_TOKEN,)}


@pytest.fixture
def sql_log(app):
    """Record the SQL statements (with their parameters) run inside the block."""

    @contextmanager
    def recording() -> Iterator[list[tuple[str, object]]]:
        statements: list[tuple[str, object]] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                statements.append((statement, parameters))

        connection = db.engines[None]
        event.listen(connection, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(connection, "before_cursor_execute", record)

    return recording
