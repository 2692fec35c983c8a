"""An incremental refresh of the analytics rollups gives the numbers a full refresh gives, on
random shops (property: every rollup row equal), and refunds count on their own days, the
payment provider's own too; a renewal it collects is revenue, not MRR."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from marketplace.admin.analytics import mrr, revenue
from marketplace.analytics.periods import Bucket, Range
from marketplace.checkout import lifecycle
from marketplace.checkout.outcomes import Event
from marketplace.maintenance.analytics import TABLES, refresh
from marketplace.models import (
    AddOn,
    AddOnBundle,
    AddOnPurchase,
    FunnelEvent,
    Order,
    PromotionalCode,
    PurchaseDiscount,
    Refund,
    RefundLine,
    SubscriptionChange,
    UserAddOn,
)
from marketplace.payments.events import InvoiceLine, PaidInvoice
from tests.integration.admin import analytics_history as history

D = Decimal
ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)
FIRST = datetime(2026, 3, 1, 0, 20, tzinfo=UTC)  # the full refresh, just after midnight
SECOND = FIRST + timedelta(days=1, hours=3)  # the incremental one, and the full to compare
USERS = [f"u{n}" for n in range(6)]
BILLING = ["monthly", "annual", "usage_based", "one_time"]
CATEGORIES = ["ai-services", "analytics", "productivity"]


class Shop:
    """Random writes as the shop's services leave them, each dated by its own clock."""

    def __init__(self, session, rng: random.Random) -> None:
        self.session, self.rng = session, rng
        self.add_ons = [
            AddOn(name=f"A{n}", slug=f"a{n}-{uuid.uuid4().hex[:8]}", base_price=D("10.00"),
                  category=rng.choice(CATEGORIES), billing_type=rng.choice(BILLING))
            for n in range(5)
        ]  # fmt: skip
        self.codes = [PromotionalCode(code=f"C{n}", discount_type="percentage",
                                      discount_value=D("10")) for n in range(2)]  # fmt: skip
        session.add_all([*self.add_ons, *self.codes])
        session.flush()
        self.bundle(ORIGIN)
        self.lines: list[AddOnPurchase] = []
        self.held: dict[tuple[str, uuid.UUID], UserAddOn] = {}
        self.changed_at: dict[tuple[str, uuid.UUID], datetime] = {}

    def cents(self, low: int = 100, high: int = 9_999) -> Decimal:
        return D(self.rng.randint(low, high)).scaleb(-2)

    def bundle(self, when: datetime) -> None:
        members = self.rng.sample(self.add_ons, 2)
        self.session.add(
            AddOnBundle(name=f"Duo {uuid.uuid4().hex[:6]}", add_on_ids=[a.id for a in members],
                        discount_percent=D("10"), created_at=when, updated_at=when)
        )  # fmt: skip

    def checkout(self, when: datetime) -> None:
        rng, user = self.rng, self.rng.choice(USERS)
        status = rng.choice(["completed", "completed", "refunded", "pending", "failed"])
        paid = status in ("completed", "refunded")
        code = rng.choice([None, *self.codes])
        bundle = self.session.scalars(text("SELECT name FROM add_on_bundles")).all()
        label = rng.choice([None, *bundle])
        order = Order(user_id=user, subtotal=D(0), total=D(0), status="pending")
        self.session.add(order)
        for add_on in rng.sample(self.add_ons, rng.randint(1, 2)):
            amount = self.cents()
            discounts = []
            if code:
                discounts.append(PurchaseDiscount(kind="promo", label=f"Promo code {code.code}",
                                                  amount=self.cents(1, 500)))  # fmt: skip
            if label:
                discounts.append(PurchaseDiscount(kind="bundle", label=label,
                                                  amount=self.cents(1, 500)))  # fmt: skip
            line = AddOnPurchase(
                user_id=user, add_on_id=add_on.id, amount=amount, status=status,
                billing_type=add_on.billing_type if rng.random() < 0.8 else None,
                promo_code_id=code.id if code else None, order=order,
                created_at=when, purchased_at=when,
                completed_at=when + timedelta(minutes=1) if paid else None,
                stripe_payment_id="pi_x" if paid else None, discounts=discounts,
            )  # fmt: skip
            if status == "refunded":
                line.refund_amount, line.refunded_at = amount, when + timedelta(minutes=5)
            self.session.add(line)
            self.lines.append(line)
        self.session.flush()

    def refund(self, line: AddOnPurchase, when: datetime, *, itemised: bool) -> None:
        """An itemised refund (an admin's or the provider's own) of part of what is left, or
        fulfilment's automatic one: all of a line nothing was refunded of yet."""
        left = line.amount - (line.refund_amount or D(0))
        if line.status not in ("completed", "refunded") or left <= 0:
            return
        if itemised:
            refund(self.session, line, min(left, self.cents(1, 3_000)), when, itemised=True)
        elif line.refund_amount is None:
            refund(self.session, line, left, when, itemised=False)

    def pay(self, line: AddOnPurchase, when: datetime) -> None:
        """A pending checkout paid late (its promo row's day is the day it started)."""
        if line.status == "pending":
            line.status, line.completed_at, line.stripe_payment_id = "completed", when, "pi_y"
            self.session.flush()

    def subscription_change(self, when: datetime) -> None:
        """A subscription bought, renewed at a new price, or ended, with its history row (dated
        no earlier than the subscription's previous one: `record` writes it after the change,
        so its latest row is its state)."""
        rng = self.rng
        key = (rng.choice(USERS), rng.choice(self.add_ons).id)
        when = max(when, self.changed_at.get(key, when))
        self.changed_at[key] = when
        held = self.held.get(key)
        if held is None:
            held = UserAddOn(user_id=key[0], add_on_id=key[1], purchased_at=when)
            self.session.add(held)
            self.held[key] = held
        held.status = rng.choice(["active", "active", "cancelled", "suspended"])
        held.billing_type = rng.choice(["monthly", "annual", None])
        held.recurring_amount = rng.choice([D("0.00"), D("12.00"), D("30.00")])
        self.session.flush()
        monthly = D(0)
        if held.status == "active" and held.billing_type:
            monthly = held.recurring_amount / (12 if held.billing_type == "annual" else 1)
        self.session.add(
            SubscriptionChange(user_add_on_id=held.id, user_id=held.user_id,
                               add_on_id=held.add_on_id, occurred_at=when, status=held.status,
                               mrr=monthly.quantize(D("0.01")))
        )  # fmt: skip
        self.session.flush()

    def visit(self, when: datetime) -> None:
        step = self.rng.choice(["cart", "checkout", "paid"])
        self.session.add(FunnelEvent(occurred_at=when, visitor=self.rng.choice(USERS), step=step))

    def between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.random()

    def writes(self, start: datetime, end: datetime) -> None:
        """Checkouts, refunds (of any line so far), late payments, subscription changes,
        funnel events and maybe a new bundle, dated between `start` and `end`."""
        rng, earlier = self.rng, list(self.lines)
        for _ in range(15):
            self.checkout(self.between(start, end))
        for line in rng.sample(self.lines, 8):
            when = self.between(max(start, line.purchased_at), end)
            self.refund(line, when, itemised=rng.random() < 0.75)
        for line in rng.sample(earlier, min(5, len(earlier))):
            self.pay(line, self.between(start, end))
        for _ in range(20):
            self.subscription_change(self.between(start, end))
            self.visit(self.between(start, end))
        if rng.random() < 0.5:
            self.bundle(self.between(start, end))
        self.session.flush()


def refund(session, line: AddOnPurchase, share: Decimal, when: datetime, *, itemised: bool):
    """`share` of `line` refunded at `when`, as the refund services record it: the admin's and
    the provider's own (its webhook) with a refund row, fulfilment's automatic ones (a payment
    it could not honour) on the line's total only."""
    if itemised:
        session.add(
            Refund(order_id=line.order_id, reason="r", provider_refund_id="re",
                   idempotency_key=uuid.uuid4().hex, actor="admin", created_at=when,
                   lines=[RefundLine(purchase_id=line.id, amount=share)])
        )  # fmt: skip
    line.refund_amount = (line.refund_amount or D(0)) + share
    line.refunded_at = when
    if line.refund_amount == line.amount:
        line.status = "refunded"
    session.flush()


def rollups(session) -> dict[str, list[tuple]]:
    """Every rollup's rows in order (running totals without trailing zeros: a slot not sold
    yet and a slot at 0 read the same)."""
    found = {}
    for table in TABLES:
        rows = session.execute(text(f"SELECT * FROM {table}")).all()
        found[table] = sorted((tuple(_trimmed(value) for value in row) for row in rows), key=repr)
    return found


def _trimmed(value):
    if isinstance(value, list):
        while value and value[-1] == 0:
            value = value[:-1]
    return value


@pytest.mark.parametrize("seed", range(8))
def test_an_incremental_refresh_gives_the_full_refreshs_numbers(session, seed):
    shop = Shop(session, random.Random(seed))
    shop.writes(ORIGIN, FIRST)
    refresh(session, now=FIRST)
    # Afterwards: dated from a little before that refresh (committed after it) on, and
    # changes to what was there (refunds, late payments).
    shop.writes(FIRST - timedelta(minutes=30), SECOND)

    incremental = refresh(session, incremental=True, now=SECOND)
    assert incremental.incremental
    after_incremental = rollups(session)
    refresh(session, now=SECOND)
    assert rollups(session) == after_incremental


def test_refunds_count_on_their_own_days_partial_ones_exactly(session):
    """One order, two lines (paid Feb 2): the admin refunds $3.00 of the first on Feb 5 and
    $4.50 more of it on Feb 9; the provider's own refund of $2.25 of the second on Feb 7."""
    voice = AddOn(name="Voice", slug="voice-r", base_price=D("20.00"), category="ai-services")
    docs = AddOn(name="Docs", slug="docs-r", base_price=D("8.00"), category="productivity")
    order = Order(user_id="ann", subtotal=D("28.00"), total=D("28.00"), status="paid")
    paid = datetime(2026, 2, 2, 9, tzinfo=UTC)
    first, second = (
        AddOnPurchase(user_id="ann", add_on=a, amount=a.base_price, status="completed",
                      order=order, purchased_at=paid, completed_at=paid, stripe_payment_id="pi")
        for a in (voice, docs)
    )  # fmt: skip
    session.add_all([voice, docs, order, first, second])
    session.flush()
    for line, amount, day, itemised in (
        (first, "3.00", 5, True), (second, "2.25", 7, False), (first, "4.50", 9, True),
    ):  # fmt: skip
        refund(session, line, D(amount), datetime(2026, 2, day, 15, tzinfo=UTC), itemised=itemised)
    refresh(session, now=datetime(2026, 2, 10, tzinfo=UTC))

    series = revenue.daily(session, Range(date(2026, 2, 1), date(2026, 2, 9)), Bucket.DAY).series
    refunded = {cash.label: cash.refunded for cash in series if cash.refunded}
    assert refunded == {"2026-02-05": D("3.00"), "2026-02-07": D("2.25"), "2026-02-09": D("4.50")}
    week = Range(date(2026, 2, 6), date(2026, 2, 9))
    by_add_on = {cash.label: cash.refunded for cash in revenue.by_add_on(session, week)}
    assert by_add_on == {"Voice": D("4.50"), "Docs": D("2.25")}
    assert revenue.daily(session, week, Bucket.DAY).total.net == D("-6.75")


def test_money_stripe_moves_on_its_own_counts_on_its_days_and_leaves_mrr_alone(session):
    """Ann's $20.00 monthly Voice (bought Mar 1) renews through Stripe on Apr 1: its invoice is
    an order of its own (delivered three times, under two event ids). Stripe refunds $5.00 of
    it on Apr 3 and $7.00 more on Apr 6 (its `amount_refunded`: $5.00, then $12.00)."""
    voice = history.add_on(session, "voice-p", "20.00", "monthly", "ai-services")
    session.commit()
    paid = datetime(2026, 3, 1, 12, tzinfo=UTC)
    history.buy(session, "ann", "ann", paid, history.Line(voice, "20.00"))
    refresh(session, now=datetime(2026, 4, 1, 0, 20, tzinfo=UTC))
    invoice = PaidInvoice("in_ann", "pi_ann_renewal", "USD", (InvoiceLine(D("20.00"), 1),))
    for event_id in ("evt_paid", "evt_paid", "evt_paid_again"):
        lifecycle.renew(session, "sub_ann", None, invoice=invoice,
                        event=Event(event_id, "invoice.paid"),
                        now=datetime(2026, 4, 1, 9, tzinfo=UTC))  # fmt: skip
    for event_id, cumulative, day in (("evt_r1", "5.00", 3), ("evt_r2", "12.00", 6)):
        lifecycle.refund(session, ["pi_ann_renewal"], D(cumulative),
                         event=Event(event_id, "charge.refunded"),
                         now=datetime(2026, 4, day, 15, tzinfo=UTC))  # fmt: skip

    [order] = session.scalars(select(Order).where(Order.invoice_id == "in_ann")).all()
    made = session.scalars(select(Refund).where(Refund.order_id == order.id)
                           .order_by(Refund.created_at)).all()  # fmt: skip
    assert [(r.created_at.day, r.amount, r.actor) for r in made] == [
        (3, D("5.00"), "Stripe"), (6, D("7.00"), "Stripe"),
    ]  # fmt: skip
    incremental = refresh(session, incremental=True, now=datetime(2026, 4, 7, tzinfo=UTC))
    assert incremental.incremental
    after_incremental = rollups(session)
    refresh(session, now=datetime(2026, 4, 7, tzinfo=UTC))
    assert rollups(session) == after_incremental

    april = Range(date(2026, 4, 1), date(2026, 4, 6))
    series = revenue.daily(session, april, Bucket.DAY).series
    assert {c.label: (c.charged, c.refunded) for c in series if c.charged or c.refunded} == {
        "2026-04-01": (D("20.00"), D("0")),
        "2026-04-03": (D("0"), D("5.00")),
        "2026-04-06": (D("0"), D("7.00")),
    }
    assert revenue.daily(session, april, Bucket.DAY).total.net == D("8.00")
    # MRR: Ann's $20.00 since March, the renewal moved nothing.
    moved = mrr.window(session, Range(date(2026, 3, 1), date(2026, 4, 6)))
    assert (moved.start, moved.end, moved.net) == (D("0"), D("20.00"), D("20.00"))
    assert mrr.window(session, april).net == D("0")
    assert session.scalar(select(func.count()).select_from(SubscriptionChange)) == 1
