"""The funnel as shoppers walk it (cart → checkout → paid, with the offline provider), the
rollup refresh command, and the identities the SQL keeps on random histories."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from marketplace.admin.analytics import mrr, revenue
from marketplace.analytics import SubscriptionChange, movements
from marketplace.analytics.periods import Bucket, Range
from marketplace.maintenance.analytics import refresh
from marketplace.models import AddOn, UserAddOn
from marketplace.models import SubscriptionChange as ChangeRow
from marketplace.models.base import utcnow
from tests.fixtures.shoppers import sign_in


@pytest.fixture
def app_overrides(fake_stripe) -> dict:
    return {"STRIPE_SECRET_KEY": None, "STRIPE_API_BASE": fake_stripe.url}


def add_to_cart(client, add_on: AddOn):
    response = client.post("/cart/items", data={"add_on_id": str(add_on.id)})
    assert response.status_code == 303


def test_the_funnel_counts_visitors_per_step_and_day(app, session, catalog, support_client):
    buyer, browser = app.test_client(), app.test_client()
    sign_in(buyer, "fiona")
    add_to_cart(buyer, catalog.tts)
    add_to_cart(buyer, catalog.stt)  # the same visitor twice: still one
    checkout = buyer.post("/checkout")
    session_id = checkout.headers["Location"].rsplit("/", 1)[1]
    buyer.post(f"/checkout/test-payment/{session_id}", data={"action": "pay"})
    sign_in(browser, "gus")
    add_to_cart(browser, catalog.tts)
    browser.post("/checkout")  # started, never paid
    add_to_cart(app.test_client(), catalog.tts)  # an anonymous visitor
    refresh(session)
    session.commit()

    body = support_client.get("/admin/analytics.json?range=30d").get_json()
    today = utcnow().date().isoformat()
    [row] = [row for row in body["tables"]["funnel"]["rows"] if row[0] == today]
    # 3 added to cart, 2 started a checkout (drop-off 33.3%), 1 paid (drop-off 50%).
    assert row == [today, 3, 2, 1, "33.3", "50.0"]
    assert body["kpis"]["conversion"]["value"] == "0.3333"


def test_refresh_analytics_prints_progress_and_a_summary(runner, session, history):
    result = runner.invoke(args=["maintain", "refresh-analytics"])
    assert result.exit_code == 0, result.output
    assert "analytics_mrr_daily" in result.output
    assert "refresh-analytics: refreshed 8 rollups in " in result.output


def test_refresh_analytics_incremental_says_so(runner, session, history):
    result = runner.invoke(args=["maintain", "refresh-analytics", "--incremental"])
    assert result.exit_code == 0, result.output
    assert "refresh-analytics: refreshed 8 rollups incrementally in " in result.output


def test_the_daily_schedule_refreshes_analytics(runner, session):
    result = runner.invoke(args=["maintain", "run", "daily", "--dry-run"])
    assert "refresh-analytics: would refresh 8 rollups" in result.output


def test_revenue_by_add_on_sums_to_revenue_and_mrr_to_add_on_mrr(session, history):
    period = Range(date(2026, 1, 1), date(2026, 2, 28))
    cash = revenue.daily(session, period, Bucket.WEEK)
    total = cash.total
    parts = revenue.by_add_on(session, period)
    assert sum((p.net for p in parts), Decimal(0)) == total.net == Decimal("141.00")
    # One query gives the range's buckets, categories and billing types, each summing to it,
    # and the period before it apart.
    for split in (cash.series, cash.by_category, cash.by_billing_type):
        assert sum((p.net for p in split), Decimal(0)) == total.net
    nets = [p.net for p in cash.by_category]
    assert nets == sorted(nets, reverse=True)
    before = revenue.daily(session, period.previous(), Bucket.MONTH)
    assert cash.before == before.total
    window = mrr.window(session, period)
    # MRR now (the rollup's end) is the sum of the per-add-on MRR rollup.
    per_add_on = session.execute(text("SELECT sum(mrr) FROM analytics_add_on_mrr")).scalar_one()
    assert window.end == per_add_on == Decimal("68.00")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rollup_agrees_with_the_definitions_on_random_histories(session, seed):
    """Random subscription changes: the SQL rollup's MRR movements are the pure module's, and
    start + movements = end for every window."""
    rng = random.Random(seed)
    origin = datetime(2025, 1, 1, tzinfo=UTC)
    history = []
    for user in (f"u{n}" for n in range(6)):
        for _ in range(3):
            held = UserAddOn(id=uuid.uuid4(), user_id=user, add_on_id=_add_on(session))
            session.add(held)
            session.flush()
            for _ in range(rng.randint(1, 5)):
                when = origin + timedelta(days=rng.randint(0, 90), hours=rng.choice([0, 12]))
                amount = rng.choice([Decimal("0.00"), Decimal("5.00"), Decimal("8.33")])
                session.add(ChangeRow(user_add_on_id=held.id, user_id=user,
                                      add_on_id=held.add_on_id, occurred_at=when,
                                      status="active", mrr=amount))  # fmt: skip
                history.append(SubscriptionChange(user, held.add_on_id, when, amount))
    refresh(session)
    for start_day, end_day in ((0, 30), (10, 45), (31, 91)):
        period = Range((origin + timedelta(days=start_day)).date(),
                       (origin + timedelta(days=end_day)).date())  # fmt: skip
        sql = mrr.window(session, period)
        pure = movements(
            history,
            origin + timedelta(days=start_day),
            origin + timedelta(days=end_day + 1),
        )
        assert (sql.start, sql.end, sql.amounts, sql.users) == (
            pure.start, pure.end, pure.amounts, pure.users,
        )  # fmt: skip
        assert sql.start + sql.net == sql.end


def _add_on(session) -> uuid.UUID:
    """A fresh add-on per subscription (a user holds each add-on once)."""
    row = AddOn(name="P", slug=f"p-{uuid.uuid4().hex[:12]}", category="analytics",
                base_price=Decimal("1.00"))  # fmt: skip
    session.add(row)
    session.flush()
    return row.id
