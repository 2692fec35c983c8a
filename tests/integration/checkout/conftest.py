"""Checkout scenarios: the app pointed at local fake Stripe and Lago servers, signed webhooks."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from marketplace.extensions import db
from marketplace.models import (
    AddOn,
    AddOnPurchase,
    BillingOutboxEntry,
    CartItem,
    PromotionalCode,
    UserAddOn,
)
from tests.conftest import make_app, recreate_database, rolled_back
from tests.integration.cart.conftest import catalog, put_in_cart, sign_in  # noqa: F401
from tests.integration.checkout.fakes import WEBHOOK_SECRET, FakeLago, FakeStripe, sign

USER = "user-1"


@pytest.fixture
def fake_stripe():
    server = FakeStripe().start()
    yield server
    server.stop()


@pytest.fixture
def fake_lago():
    server = FakeLago().start()
    yield server
    server.stop()


def stripe_config(fake_stripe, fake_lago) -> dict:
    return {
        "STRIPE_SECRET_KEY": "sk_test_fake",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": fake_stripe.url,
        "STRIPE_READ_TIMEOUT_SECONDS": 1,
        "LAGO_API_URL": fake_lago.url,
        "LAGO_API_KEY": "lago-test-key",
    }


@pytest.fixture
def app_overrides(fake_stripe, fake_lago) -> dict:
    """Config for the test's app: Stripe and Lago are the local fakes (offline tests override)."""
    return stripe_config(fake_stripe, fake_lago)


@pytest.fixture
def app(database_url, app_overrides):
    """Like the root `app` (one rolled-back transaction), with the checkout's configuration."""
    with rolled_back(make_app(database_url, **app_overrides)) as app:
        yield app


def post_webhook(client, event: dict, secret: str = WEBHOOK_SECRET):
    payload = json.dumps(event).encode()
    return client.post(
        "/webhooks/stripe",
        data=payload,
        headers={"Stripe-Signature": sign(payload, secret), "Content-Type": "application/json"},
        # Close the response as a WSGI server does: the after-response Lago delivery runs then.
        buffered=True,
    )


def checkout(client, promo: str | None = None, **kwargs):
    if promo is not None:
        with client.session_transaction() as sess:
            sess["promo_code"] = promo
    return client.post("/checkout", **kwargs)


def purchases(user_id: str = USER) -> list[AddOnPurchase]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AddOnPurchase)
            .where(AddOnPurchase.user_id == user_id)
            .order_by(AddOnPurchase.created_at, AddOnPurchase.amount)
        )
    )


def uses(code: PromotionalCode) -> int:
    """A promo code's `current_uses` as committed now."""
    db.session.expire_all()
    return db.session.get(PromotionalCode, code.id).current_uses


def holdings(user_id: str = USER) -> dict[str, UserAddOn]:
    db.session.expire_all()
    rows = db.session.scalars(select(UserAddOn).where(UserAddOn.user_id == user_id))
    return {row.add_on.slug: row for row in rows}


def cart_count(user_id: str = USER) -> int:
    return db.session.scalar(select(func.count()).where(CartItem.user_id == user_id))


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(BillingOutboxEntry))


# A database of its own, with real commits, for concurrency ---------------------------------


@pytest.fixture(scope="module")
def committed_database_url(database_url):
    """A migrated database (not rolled back per test) for tests whose threads must commit."""
    url = make_url(database_url)
    url = recreate_database(
        url.set(database=f"{url.database}_commits").render_as_string(hide_password=False)
    )
    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def committed_app(committed_database_url, fake_stripe, fake_lago):
    # These races are about the database: room for every racer's Stripe call at once (the cap
    # that refuses the third concurrent one is tested in tests/integration/outages).
    config = {**stripe_config(fake_stripe, fake_lago), "STRIPE_MAX_CONCURRENT_CALLS": 64}
    app = make_app(committed_database_url, **config)
    with app.app_context():
        _truncate()
        yield app
        _truncate()
        db.session.remove()
        db.engine.dispose()


def _truncate() -> None:
    db.session.execute(
        db.text(
            "TRUNCATE add_on_purchases, user_add_ons, cart_items, promotional_codes, "
            "stripe_events, billing_outbox, add_ons CASCADE"
        )
    )
    db.session.commit()


def committed_add_on(slug: str = "probe", price: str = "10.00", billing="monthly") -> AddOn:
    add_on = AddOn(
        name=slug.title(),
        slug=slug,
        category="development",
        base_price=Decimal(price),
        billing_type=billing,
    )
    db.session.add(add_on)
    db.session.commit()
    return add_on
