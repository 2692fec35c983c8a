"""Time checkout-session creation and end-to-end fulfilment against a local fake Stripe.

    BENCH_DATABASE_URL=postgresql://… python -m tests.benchmarks.bench_checkout

The database (default: `marketplace_bench` on the checkout's embedded PostgreSQL, the demo
data set of `bench_queries` when loaded) is migrated; the benchmark buys an active add-on that
no benchmark shopper owns. Part 1 times `POST /checkout` (re-price, pending purchases, the
Stripe calls to the fake, redirect): p50/p99. Part 2 completes those sessions at the fake and
posts each `checkout.session.completed` event, signed, to `POST /webhooks/stripe` from several
threads: events fulfilled per second, end to end. Its rows are removed afterwards.
Exits 1 when p99 creation exceeds --target-ms.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from flask_migrate import upgrade
from sqlalchemy import delete, select

from marketplace import create_app
from marketplace.extensions import db
from marketplace.models import (
    AddOn,
    AddOnPurchase,
    BillingOutboxEntry,
    CartItem,
    StripeEvent,
    UserAddOn,
)
from tests.benchmarks.bench_queries import database_url, percentile
from tests.fixtures.shoppers import sign_in
from tests.integration.checkout.fakes import WEBHOOK_SECRET, FakeStripe, event, sign

PREFIX = "bench-checkout-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkouts", type=int, default=300)
    parser.add_argument("--threads", type=int, default=8, help="webhook senders")
    parser.add_argument("--target-ms", type=float, default=250.0, help="p99 creation target")
    args = parser.parse_args(argv)

    stripe = FakeStripe().start()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(),
            "WTF_CSRF_ENABLED": False,
            "STRIPE_SECRET_KEY": "sk_test_bench",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": stripe.url,
            "LAGO_API_URL": None,
        }
    )
    with app.app_context():
        upgrade()
        add_on = db.session.scalars(
            select(AddOn).where(AddOn.is_active).order_by(AddOn.display_order).limit(1)
        ).first()
        if add_on is None:
            add_on = AddOn(name="Bench Probe", slug="bench-probe", category="development",
                           base_price=1, billing_type="monthly")  # fmt: skip
            db.session.add(add_on)
            db.session.commit()
        users = [f"{PREFIX}{uuid.uuid4().hex[:12]}" for _ in range(args.checkouts)]
        db.session.add_all(
            CartItem(user_id=u, add_on_id=add_on.id, unit_price_seen=add_on.base_price)
            for u in users
        )
        db.session.commit()
        try:
            creation_ms = _create_sessions(app, users)
            per_second = _fulfil(app, stripe, args.threads)
        finally:
            _clean_up(users)
            stripe.stop()
            db.engine.dispose()

    p50, p99 = percentile(creation_ms, 0.5), percentile(creation_ms, 0.99)
    print(f"checkout session creation: n={len(creation_ms)} p50={p50:.1f} ms p99={p99:.1f} ms "
          f"(target p99 ≤ {args.target_ms:.0f} ms)")  # fmt: skip
    print(f"fulfilment: {per_second:.0f} signed webhook events/s end to end")
    return 0 if p99 <= args.target_ms else 1


def _create_sessions(app, users: list[str]) -> list[float]:
    timings = []
    for user in users:
        client = app.test_client()
        sign_in(client, user)
        started = time.perf_counter()
        response = client.post("/checkout")
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 303:
            raise SystemExit(f"checkout failed for {user}: {response.status_code}")
    return timings


def _fulfil(app, stripe: FakeStripe, threads: int) -> float:
    payloads = []
    for session_id in list(stripe.sessions):
        body = json.dumps(event("checkout.session.completed", stripe.complete(session_id)))
        payloads.append(body.encode())

    def send(payload: bytes) -> int:
        return (
            app.test_client()
            .post(
                "/webhooks/stripe",
                data=payload,
                headers={"Stripe-Signature": sign(payload)},
                buffered=True,
            )
            .status_code
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        statuses = list(pool.map(send, payloads))
    elapsed = time.perf_counter() - started
    if set(statuses) != {200}:
        raise SystemExit(f"webhooks failed: {sorted(set(statuses))}")
    return len(payloads) / elapsed


def _clean_up(users: list[str]) -> None:
    session = db.session
    session.rollback()
    session.execute(delete(AddOnPurchase).where(AddOnPurchase.user_id.in_(users)))
    session.execute(delete(UserAddOn).where(UserAddOn.user_id.in_(users)))
    session.execute(delete(CartItem).where(CartItem.user_id.in_(users)))
    session.execute(
        delete(BillingOutboxEntry).where(BillingOutboxEntry.payload["user_id"].astext.in_(users))
    )
    session.execute(delete(StripeEvent))  # only benchmark events reach a benchmark database
    session.commit()


if __name__ == "__main__":
    sys.exit(main())
