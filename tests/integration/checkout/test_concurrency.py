"""Real commits on a database of its own: promo limits and fulfilment races under threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import (
    AddOnPurchase,
    BillingOutboxEntry,
    CartItem,
    Order,
    PromotionalCode,
    UserAddOn,
)
from tests.fixtures.shoppers import sign_in, with_promo
from tests.integration.checkout.fakes import event
from tests.integration.checkout.steps import committed_add_on, post_webhook


def ten_percent_code(code: str, *, max_uses: int, current_uses: int) -> PromotionalCode:
    return PromotionalCode(
        code=code,
        discount_type="percentage",
        discount_value=Decimal("10"),
        max_uses=max_uses,
        current_uses=current_uses,
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )


def webhooks_at_once(app, deliveries: list[dict]) -> list[int]:
    """Post each signed webhook from a thread of its own, all released together; their statuses."""
    barrier = threading.Barrier(len(deliveries))

    def deliver(delivery: dict) -> int:
        client = app.test_client()
        barrier.wait()
        return post_webhook(client, delivery).status_code

    with ThreadPoolExecutor(max_workers=len(deliveries)) as pool:
        return list(pool.map(deliver, deliveries))


def test_thirty_concurrent_checkouts_for_five_uses_reserve_exactly_five(committed_app, fake_stripe):
    add_on = committed_add_on()
    code = ten_percent_code("LAST5", max_uses=105, current_uses=100)
    db.session.add(code)
    users = [f"racer-{n}" for n in range(30)]
    db.session.add_all(
        CartItem(user_id=user, add_on_id=add_on.id, unit_price_seen=add_on.base_price)
        for user in users
    )
    db.session.commit()
    barrier = threading.Barrier(len(users))

    def buy(user: str) -> int:
        client = committed_app.test_client()
        with_promo(sign_in(client, user), "LAST5")
        barrier.wait()
        return client.post("/checkout").status_code

    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        statuses = list(pool.map(buy, users))

    assert statuses == [303] * 30
    db.session.expire_all()
    assert db.session.get(PromotionalCode, code.id).current_uses == 105
    with_code = db.session.scalar(
        select(func.count()).where(AddOnPurchase.promo_code_id == code.id)
    )
    assert with_code == 5
    assert len(fake_stripe.created_sessions()) == 5
    # The other 25 were refused with their carts intact and nothing pending.
    assert db.session.scalar(select(func.count()).select_from(AddOnPurchase)) == 5
    assert db.session.scalar(select(func.count()).select_from(CartItem)) == 30


def test_success_page_and_webhook_racing_fulfil_once(committed_app, fake_stripe):
    add_on = committed_add_on()
    db.session.add(
        CartItem(user_id="racer", add_on_id=add_on.id, unit_price_seen=add_on.base_price)
    )
    db.session.commit()
    client = committed_app.test_client()
    sign_in(client, "racer")
    assert client.post("/checkout").status_code == 303
    [session_id] = fake_stripe.sessions
    completed = event("checkout.session.completed", fake_stripe.complete(session_id))

    def page(barrier):
        barrier.wait()
        return client.get(f"/checkout/success?session_id={session_id}").status_code

    def hook(barrier):
        webhook_client = committed_app.test_client()
        barrier.wait()
        return post_webhook(webhook_client, completed).status_code

    for _ in range(5):
        barrier = threading.Barrier(3)
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = [pool.submit(page, barrier), pool.submit(hook, barrier)]
            futures.append(pool.submit(hook, barrier))
            results = [future.result() for future in futures]
        assert results == [200, 200, 200]

    db.session.expire_all()
    statuses = db.session.scalars(select(AddOnPurchase.status)).all()
    assert statuses == ["completed"]
    assert db.session.scalar(select(func.count()).select_from(UserAddOn)) == 1
    assert db.session.scalar(select(func.count()).select_from(BillingOutboxEntry)) == 1
    assert db.session.scalar(select(func.count()).select_from(CartItem)) == 0


def test_twenty_checkouts_at_once_leave_one_payable_session_and_hold_one_use(
    committed_app, fake_stripe
):
    add_on = committed_add_on()
    code = ten_percent_code("HOARD", max_uses=100, current_uses=0)
    db.session.add(code)
    db.session.add(
        CartItem(user_id="hoarder", add_on_id=add_on.id, unit_price_seen=add_on.base_price)
    )
    db.session.commit()
    barrier = threading.Barrier(20)

    def buy(_: int) -> int:
        client = committed_app.test_client()
        with_promo(sign_in(client, "hoarder"), "HOARD")
        barrier.wait()
        return client.post("/checkout").status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(buy, range(20)))

    assert statuses == [303] * 20  # each got an answer: its session, or the cart with a message
    payable = [sid for sid, s in fake_stripe.sessions.items() if s["status"] == "open"]
    assert len(payable) == 1
    db.session.expire_all()
    assert db.session.get(PromotionalCode, code.id).current_uses == 1
    pending = db.session.scalars(
        select(AddOnPurchase.checkout_session_id).where(AddOnPurchase.status == "pending")
    ).all()
    assert pending == payable
    # Paying every session the shopper was shown: only the open one takes money.
    for session_id in list(fake_stripe.sessions):
        try:
            completed = fake_stripe.complete(session_id)
        except ValueError:
            continue
        post_webhook(committed_app.test_client(), event("checkout.session.completed", completed))
    db.session.expire_all()
    assert db.session.scalars(
        select(AddOnPurchase.status).where(AddOnPurchase.status == "completed")
    ).all() == ["completed"]
    assert db.session.scalar(select(func.count()).select_from(UserAddOn)) == 1


def test_checkouts_paid_at_once_get_distinct_consecutive_order_numbers(committed_app, fake_stripe):
    add_on = committed_add_on()
    buyers = [f"buyer-{n}" for n in range(6)]
    db.session.add_all(
        CartItem(user_id=user, add_on_id=add_on.id, unit_price_seen=add_on.base_price)
        for user in buyers
    )
    db.session.commit()
    for user in buyers:
        assert sign_in(committed_app.test_client(), user).post("/checkout").status_code == 303
    paid = [
        event("checkout.session.completed", fake_stripe.complete(s)) for s in fake_stripe.sessions
    ]
    assert webhooks_at_once(committed_app, paid) == [200] * len(paid)

    db.session.expire_all()
    numbers = db.session.scalars(select(Order.number).order_by(Order.number)).all()
    values = [int(number.rsplit("-", 1)[1]) for number in numbers]
    assert len(set(numbers)) == len(buyers)
    assert values == list(range(values[0], values[0] + len(buyers)))


def test_one_renewal_delivered_at_once_under_two_event_ids_is_one_order(committed_app, fake_stripe):
    add_on = committed_add_on()
    db.session.add(
        CartItem(user_id="renewer", add_on_id=add_on.id, unit_price_seen=add_on.base_price)
    )
    db.session.commit()
    assert sign_in(committed_app.test_client(), "renewer").post("/checkout").status_code == 303
    [session_id] = fake_stripe.sessions
    completed = fake_stripe.complete(session_id)
    post_webhook(committed_app.test_client(), event("checkout.session.completed", completed))
    period_end = int((datetime.now(UTC) + timedelta(days=61)).timestamp())
    renewal = fake_stripe.pay_renewal(completed["subscription"], period_end)
    deliveries = [renewal, renewal, {**renewal, "id": "evt_again"}, {**renewal, "id": "evt_more"}]
    assert webhooks_at_once(committed_app, deliveries) == [200] * len(deliveries)

    db.session.expire_all()
    [renewed] = db.session.scalars(select(Order).where(Order.invoice_id.is_not(None))).all()
    assert renewed.number is not None
    lines = db.session.scalars(select(AddOnPurchase).where(AddOnPurchase.order_id == renewed.id))
    assert [(line.amount, line.status) for line in lines] == [(Decimal("10.00"), "completed")]
