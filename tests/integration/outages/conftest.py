"""Outage scenarios: a PostgreSQL cluster of the tests' own to stop and start, the app served
over HTTP from a thread (as the browser tests serve it), and a Stripe that never answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask_migrate import upgrade

from marketplace.cli.seed import seed_catalog
from marketplace.database import ensure_database
from marketplace.extensions import db
from tests.fixtures.database import make_app
from tests.integration.checkout.fakes import FakeStripe
from tests.integration.outages.servers import HANG_SECONDS, Shop, serve
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


@pytest.fixture
def shop(running) -> Iterator[Shop]:
    shop = serve(running)
    yield shop
    shop.close()


# A Stripe that never answers ------------------------------------------------------------------


@pytest.fixture
def hanging_stripe() -> Iterator[FakeStripe]:
    """The checkout tests' fake Stripe, holding every request for HANG_SECONDS."""
    server = FakeStripe()
    server.httpd.block_on_close = False  # stop() must not wait for the sleeping handlers
    server.delay = HANG_SECONDS
    server.start()
    yield server
    server.stop()
