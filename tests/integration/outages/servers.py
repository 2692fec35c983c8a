"""The app served over HTTP from a thread (as the browser tests serve it) on the outage tests'
private cluster, and the config of an app whose Stripe never answers."""

from __future__ import annotations

import threading

import requests
from flask import Flask
from werkzeug.serving import make_server

from marketplace.extensions import db
from tests.fixtures.database import make_app
from tests.integration.checkout.fakes import WEBHOOK_SECRET, FakeStripe
from tests.private_postgres import PrivateCluster

HANG_SECONDS = 5  # longer than any timeout the tests set: to the app, Stripe never answers


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
