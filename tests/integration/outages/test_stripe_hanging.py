"""A Stripe that never answers: each checkout fails with the friendly message within the
configured timeouts, at most two calls hang at once across the server's workers, and after two
consecutive timeouts the circuit breaker fails the next checkouts at once without calling
Stripe, until a probe finds it answering again."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import text

from marketplace.extensions import db
from marketplace.models import AddOn, CartItem
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.database import make_app, rolled_back
from tests.fixtures.shoppers import sign_in
from tests.integration.outages.servers import hanging_config

FRIENDLY = "couldn&#39;t reach the payment provider"
TIMEOUT = 0.5 + 0.5  # hanging_config: connect + read; the fake accepts at once, so read counts
FAST = 0.6  # a checkout turned away without calling Stripe (after the 0.2 s slot wait)


@pytest.fixture
def guard_dir(tmp_path) -> str:
    return str(tmp_path / "stripe-guard")


@pytest.fixture
def app(database_url, hanging_stripe, guard_dir):
    with rolled_back(make_app(database_url, **hanging_config(hanging_stripe, guard_dir))) as app:
        yield app


def timed_checkout(client) -> tuple[float, str]:
    """POST /checkout; its duration and the cart page it sends the shopper back to."""
    started = time.perf_counter()
    response = client.post("/checkout")
    elapsed = time.perf_counter() - started
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    return elapsed, client.get("/cart").get_data(as_text=True)


def test_a_hanging_stripe_fails_within_the_timeout_then_the_breaker_fails_fast(
    client, session, catalog, hanging_stripe
):
    put_in_cart(session, "user-1", catalog.tts)
    sign_in(client, "user-1")

    for attempt in (1, 2):
        elapsed, page = timed_checkout(client)
        assert FRIENDLY in page
        assert 0.5 <= elapsed < TIMEOUT + 0.5  # the read timeout, not the hang
        assert len(hanging_stripe.created_sessions()) == attempt  # one call: no blind retry

    # Two consecutive timeouts opened the breaker: Stripe is not called at all now.
    elapsed, page = timed_checkout(client)
    assert FRIENDLY in page
    assert elapsed < FAST
    assert len(hanging_stripe.requests) == 2
    assert "Unicorn Orator" in page  # the cart is as it was


# Two workers (two apps sharing the guard folder, as gunicorn's processes share it) ------------


@pytest.fixture
def shoppers(committed_database_url):
    """Three signed-in shoppers' carts, committed (the checkouts run in threads)."""
    app = make_app(committed_database_url)
    with app.app_context():
        add_on = AddOn(
            name="Probe",
            slug="probe",
            category="development",
            base_price=Decimal("10.00"),
            billing_type="monthly",
        )
        db.session.add(add_on)
        db.session.flush()
        users = [f"hang-{n}" for n in range(3)]
        db.session.add_all(
            CartItem(user_id=user, add_on_id=add_on.id, unit_price_seen=add_on.base_price)
            for user in users
        )
        db.session.commit()
        yield users
        db.session.execute(
            text("TRUNCATE add_on_purchases, cart_items, add_ons, billing_outbox CASCADE")
        )
        db.session.commit()
        db.engine.dispose()


def worker(url: str, stripe, guard_dir: str, **overrides):
    config = hanging_config(stripe, guard_dir, STRIPE_READ_TIMEOUT_SECONDS=1, **overrides)
    return make_app(url, **config)


def signed_in(app, user: str):
    return sign_in(app.test_client(), user)


def test_two_hanging_calls_take_every_slot_and_their_timeouts_open_the_breaker_for_all(
    committed_database_url,
    shoppers,
    hanging_stripe,
    guard_dir,
):
    worker_a, worker_b = (
        worker(committed_database_url, hanging_stripe, guard_dir, STRIPE_BREAKER_SECONDS=1)
        for _ in range(2)
    )
    results: dict[str, tuple[float, str]] = {}

    def check_out(user: str) -> None:
        with worker_a.app_context():
            results[user] = timed_checkout(signed_in(worker_a, user))

    hanging = [threading.Thread(target=check_out, args=(user,)) for user in shoppers[:2]]
    for thread in hanging:
        thread.start()
    deadline = time.monotonic() + 2
    while len(hanging_stripe.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(hanging_stripe.requests) == 2  # both slots are held by calls Stripe won't answer

    with worker_b.app_context():  # another process: every slot is taken, so no call at all
        elapsed, page = timed_checkout(signed_in(worker_b, shoppers[2]))
    assert FRIENDLY in page and elapsed < FAST
    assert len(hanging_stripe.requests) == 2

    for thread in hanging:
        thread.join(timeout=5)
    assert [FRIENDLY in page and 1 <= elapsed < 2 for elapsed, page in results.values()] == [
        True,
        True,
    ]

    with worker_b.app_context():  # two consecutive timeouts in worker A opened it for B too
        elapsed, page = timed_checkout(signed_in(worker_b, shoppers[2]))
    assert FRIENDLY in page and elapsed < FAST
    assert len(hanging_stripe.requests) == 2

    # Stripe answers again; once the cooldown is over, the next call probes and closes it.
    hanging_stripe.delay = 0
    time.sleep(1.1)
    with worker_b.app_context():
        response = signed_in(worker_b, shoppers[2]).post("/checkout")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("https://checkout.stripe.test/")
    for app in (worker_a, worker_b):
        with app.app_context():
            db.engine.dispose()
