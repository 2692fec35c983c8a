"""Outage scenarios: a PostgreSQL cluster of the tests' own to stop and start, the app served
over HTTP from a thread (as the browser tests serve it), and a Stripe that never answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from marketplace.cli.seed import seed_catalog
from marketplace.database import ensure_database
from marketplace.extensions import db
from tests.conftest import make_app
from tests.integration.cart.conftest import catalog  # noqa: F401
from tests.integration.checkout.conftest import committed_database_url  # noqa: F401
from tests.integration.checkout.fakes import WEBHOOK_SECRET, FakeStripe
from tests.private_postgres import PrivateCluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    """A private cluster (never the shared server) holding a migrated, seeded database."""
    with PrivateCluster() as cluster:
        url = cluster.url("marketplace_outages")
        ensure_database(url)
        app = make_app(url)
        with app.app_context():
            upgrade()
            seed_catalog(db.session, datetime.now(UTC))
            db.session.commit()
            db.engine.dispose()
        yield cluster


@pytest.fixture
def running(cluster) -> Iterator[PrivateCluster]:
    """The cluster, started again after the test whatever the test left it as."""
    yield cluster
    if not cluster.is_running():
        cluster.start()


class Shop:
    """The app on a loopback port, and a browser-like session (cookies) talking to it."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.browser = requests.Session()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def get(self, path: str, *, htmx: bool = False) -> requests.Response:
        headers = {"HX-Request": "true"} if htmx else {}
        return self.browser.get(self.base + path, headers=headers, timeout=5)

    def post(self, path: str, data: dict) -> requests.Response:
        return self.browser.post(self.base + path, data=data, timeout=5, allow_redirects=False)

    def close(self) -> None:
        self.browser.close()
        self.server.shutdown()
        self.server.server_close()
        with self.app.app_context():
            db.engine.dispose()


def serve(running: PrivateCluster, **overrides) -> Shop:
    return Shop(make_app(running.url("marketplace_outages"), **overrides))


@pytest.fixture
def shop(running) -> Iterator[Shop]:
    shop = serve(running)
    yield shop
    shop.close()


# A Stripe that never answers ------------------------------------------------------------------

HANG_SECONDS = 5  # longer than any timeout the tests set: to the app, Stripe never answers


@pytest.fixture
def hanging_stripe() -> Iterator[FakeStripe]:
    """The checkout tests' fake Stripe, holding every request for HANG_SECONDS."""
    server = FakeStripe()
    server.httpd.block_on_close = False  # stop() must not wait for the sleeping handlers
    server.delay = HANG_SECONDS
    server.start()
    yield server
    server.stop()


def hanging_config(stripe: FakeStripe, guard_dir: str, **overrides) -> dict:
    """Stripe at the hanging fake with short timeouts (tests' time), no Lago."""
    return {
        "STRIPE_SECRET_KEY": "sk_test_fake",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe.url,
        "STRIPE_CONNECT_TIMEOUT_SECONDS": 0.5,
        "STRIPE_READ_TIMEOUT_SECONDS": 0.5,
        "STRIPE_GUARD_DIR": guard_dir,
        "STRIPE_SLOT_WAIT_SECONDS": 0.2,  # a burst waits this long for a slot, then is refused
        "LAGO_API_URL": None,
        **overrides,
    }
