"""Refunds racing, with real commits on a database of their own: two admins at once, and
Stripe's `charge.refunded` arriving while the admin's refund is being recorded."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from marketplace.database import libpq_conninfo
from marketplace.extensions import db
from marketplace.models import CartItem, Order, ShopperContact
from marketplace.vocabulary import Role
from tests.fixtures.database import committing_app
from tests.fixtures.fakes import stripe_config
from tests.fixtures.shoppers import sign_in
from tests.integration.admin.refund_steps import (
    lines_of,
    page_state,
    refund,
    refund_letters,
    refunded,
    refunds,
)
from tests.integration.checkout.fakes import event
from tests.integration.checkout.steps import USER, committed_add_on, post_webhook

TABLES = (
    "refund_lines, refunds, add_on_purchases, user_add_ons, cart_items, promotional_codes, "
    "stripe_events, billing_outbox, orders, add_ons, shopper_contacts"
)


@pytest.fixture
def racing_app(committed_database_url, fake_stripe, fake_lago):
    config = {**stripe_config(fake_stripe, fake_lago), "STRIPE_MAX_CONCURRENT_CALLS": 64}
    with committing_app(committed_database_url, TABLES, **config) as app:
        yield app


@pytest.fixture
def order(racing_app, fake_stripe) -> Order:
    """USER's paid order of Alpha ($10.00) and Beta ($20.00), committed."""
    add_ons = [committed_add_on("alpha", "10.00"), committed_add_on("beta", "20.00")]
    db.session.add_all(
        CartItem(user_id=USER, add_on_id=a.id, unit_price_seen=a.base_price) for a in add_ons
    )
    db.session.add(ShopperContact(user_id=USER, email="user1@example.com"))
    db.session.commit()
    client = sign_in(racing_app.test_client(), USER)
    assert client.post("/checkout").status_code == 303
    [session_id] = fake_stripe.sessions
    post_webhook(client, event("checkout.session.completed", fake_stripe.complete(session_id)))
    db.session.expire_all()
    return db.session.scalars(select(Order).where(Order.user_id == USER)).one()


def admins(app, count: int) -> list:
    return [sign_in(app.test_client(), f"admin-{n}", role=Role.ADMIN) for n in range(count)]


def test_two_admins_sending_the_same_refund_at_once_make_one(racing_app, order, fake_stripe):
    first, second = admins(racing_app, 2)
    state = page_state(first, order)
    fake_stripe.delay = 0.3  # the first holds the lines' locks while Stripe answers
    barrier = threading.Barrier(2)

    def send(client) -> int:
        barrier.wait()
        return refund(client, order, amount="6.00", state=state).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = list(pool.map(send, [first, second]))

    assert statuses == [303, 303]
    assert [r["amount"] for r in fake_stripe.refunds] == [600]
    assert len(refunds(order)) == 1
    assert refunded(order) == [Decimal("2.00"), Decimal("4.00")]
    assert len(refund_letters()) == 1


def test_two_admins_sending_different_refunds_at_once_make_one(racing_app, order, fake_stripe):
    first, second = admins(racing_app, 2)
    state = page_state(first, order)
    fake_stripe.delay = 0.3
    barrier = threading.Barrier(2)

    def send(amount: str) -> int:
        client = first if amount == "6.00" else second
        barrier.wait()
        return refund(client, order, amount=amount, state=state).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(send, ["6.00", "3.00"]))

    assert statuses == [303, 409]  # the later one: "changed since you opened it — reload"
    assert len(fake_stripe.refunds) == 1
    assert len(refunds(order)) == 1
    assert sum(refunded(order), Decimal(0)) == refunds(order)[0].amount


def lock_waiters(url: str) -> int:
    """Backends of the test database waiting for a row lock now."""
    conninfo = libpq_conninfo(make_url(url).render_as_string(hide_password=False))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return row[0] if row else 0


def test_charge_refunded_arriving_during_the_admin_refund_counts_it_once(
    racing_app, order, fake_stripe, committed_database_url
):
    [admin] = admins(racing_app, 1)
    webhook_client = racing_app.test_client()
    reference = lines_of(order)[0].stripe_payment_id
    answers: list[int] = []
    stripe_refund = fake_stripe._refund

    def refund_then_webhook(form):
        """Stripe makes the refund and sends its event before the admin's request records it:
        the webhook must wait for the lines' locks (seen waiting) and then add nothing."""
        made = stripe_refund(form)
        charge = {
            "id": "ch_race",
            "object": "charge",
            "amount": 3000,
            "amount_refunded": made[1]["amount"],
            "invoice": reference,
            "payment_intent": made[1]["payment_intent"],
        }
        hook = threading.Thread(
            target=lambda: answers.append(
                post_webhook(webhook_client, event("charge.refunded", charge)).status_code
            )
        )
        hook.start()
        deadline = time.monotonic() + 10
        while lock_waiters(committed_database_url) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert lock_waiters(committed_database_url) == 1
        threads.append(hook)
        return made

    threads: list[threading.Thread] = []
    fake_stripe._refund = refund_then_webhook

    response = refund(admin, order, line=None, amount="9.00")
    for hook in threads:
        hook.join(timeout=10)

    assert response.status_code == 303
    assert answers == [200]
    assert [r["amount"] for r in fake_stripe.refunds] == [900]
    assert refunded(order) == [Decimal("3.00"), Decimal("6.00")]
    assert len(refund_letters()) == 1
    [made] = refunds(order)  # the admin's row; the webhook that waited wrote none
    assert (made.actor, made.amount) == ("admin-0", Decimal("9.00"))
