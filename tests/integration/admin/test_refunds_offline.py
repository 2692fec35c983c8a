"""Admin refunds with the offline test provider: recorded locally, nothing reaches Stripe."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Order
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.shoppers import sign_in
from tests.integration.admin.refund_steps import (
    lines_of,
    page_state,
    refund,
    refunded,
    refunds,
)
from tests.integration.checkout.steps import USER, holdings


@pytest.fixture
def app_overrides(fake_stripe) -> dict:
    # The fake Stripe is there to prove that nothing reaches it.
    return {"STRIPE_SECRET_KEY": None, "STRIPE_API_BASE": fake_stripe.url}


@pytest.fixture
def order(client, session, catalog) -> Order:
    """USER's TTS ($9.99) and Brigade ($19.99), paid on the offline test page."""
    put_in_cart(session, USER, catalog.tts, catalog.brigade)
    sign_in(client, USER)
    session_id = client.post("/checkout").headers["Location"].rsplit("/", 1)[1]
    client.post(f"/checkout/test-payment/{session_id}", data={"action": "pay"})
    db.session.expire_all()
    return db.session.scalars(select(Order).where(Order.user_id == USER)).one()


def test_offline_refund_is_recorded_with_a_test_refund_id(
    admin_client, order, fake_stripe, catalog
):
    tts = lines_of(order)[0]
    response = refund(admin_client, order, line=tts, reason="Test refund")

    assert response.status_code == 303
    assert fake_stripe.requests == []
    [made] = refunds(order)
    assert made.amount == Decimal("9.99")
    assert made.provider_refund_id.startswith("test_re_")
    assert refunded(order) == [Decimal("9.99"), None]
    assert holdings()[catalog.tts.slug].status == "suspended"
    assert holdings()[catalog.brigade.slug].status == "active"


def test_offline_double_submit_records_one_refund(admin_client, order):
    state = page_state(admin_client, order)
    refund(admin_client, order, amount="3.00", state=state)
    refund(admin_client, order, amount="3.00", state=state)

    assert len(refunds(order)) == 1
    assert refunded(order) == [Decimal("1.00"), Decimal("2.00")]
