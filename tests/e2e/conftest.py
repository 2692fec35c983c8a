"""Browser tests: Debian's Chromium, driven by Playwright, against a live server.

The server runs in a thread on its own seeded database (committed, not rolled back); each test
gets a fresh browser context, so a new anonymous shopper with an empty cart.

Without Chromium the browser tests skip and say why, except under CI (`CI=true`, as `.ci/run`
sets it), where they fail: a CI run that skipped them would look green without having run them.
"""

from __future__ import annotations

import os
import shutil
import threading
from datetime import UTC, datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from marketplace.cli.seed import seed_catalog
from marketplace.extensions import db
from tests.fixtures.database import make_app, recreate_database

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_chromium() -> None:
    """Skip the calling test when Chromium is missing; under CI, fail it instead."""
    if os.access(CHROMIUM, os.X_OK):
        return
    reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    if in_ci():
        pytest.fail(f"{reason}: CI must run the browser tests", pytrace=False)
    pytest.skip(f"{reason}; browser tests skipped")


@pytest.fixture(scope="session")
def live_server(database_url):
    # Named after the run's test database, so runs on one server with their own
    # TEST_DATABASE_URL never share it.
    test_url = make_url(database_url)
    url = recreate_database(
        test_url.set(database=f"{test_url.database}_e2e").render_as_string(False)
    )
    # Every browser test signs in from 127.0.0.1: at the shop's 10 a minute a fast run locks
    # itself out (the limit itself is tested in tests/integration/security).
    app = make_app(url, SIGN_IN_RATE_LIMIT="1000/minute")
    with app.app_context():
        upgrade()
        seed_catalog(db.session, datetime.now(UTC))
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(5_000)
    yield page
    context.close()
