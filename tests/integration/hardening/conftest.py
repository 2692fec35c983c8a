"""Hardening scenarios: the app as the other integration tests build it, plus a webhook secret
and an API token, a log of the SQL each request runs, and request bodies that count their reads."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from marketplace.extensions import db
from tests.conftest import make_app, rolled_back
from tests.integration.cart.conftest import (  # noqa: F401  (fixtures used by these tests)
    ANON_OWNER,
    HX,
    anonymous_client,
    catalog,
    csrf_token_from,
    put_in_cart,
    sign_in,
)
from tests.integration.checkout.fakes import WEBHOOK_SECRET

API_TOKEN = "hardening-token-0123456789"


@pytest.fixture
def app(database_url):
    """The root `app` (one rolled-back transaction), with webhooks and the API switched on."""
    overrides = {"STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "MARKETPLACE_API_TOKENS": (API_TOKEN,)}
    with rolled_back(make_app(database_url, **overrides)) as app:
        yield app


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


class CountingStream(io.RawIOBase):
    """A request body of `size` bytes (`prefix`, then "a"s), made on demand and never held in
    memory whole, that counts how many bytes the app read (seeking, as the test client does to
    measure it, reads nothing)."""

    def __init__(self, size: int, prefix: bytes = b"") -> None:
        self.size = size
        self.prefix = prefix
        self.position = 0
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, min(self.size, base + offset))
        return self.position

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.size - self.position)
        if count <= 0:
            return 0
        head = self.prefix[self.position : self.position + count]
        buffer[:count] = head + b"a" * (count - len(head))
        self.position += count
        self.bytes_read += count
        return count
