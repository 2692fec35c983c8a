"""Identities the analytics definitions keep on any data (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from marketplace.analytics import Subscription, SubscriptionChange, movements, mrr_summary
from marketplace.vocabulary import BillingType

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)
USERS = st.sampled_from(["u1", "u2", "u3", "u4"])
ADD_ONS = st.sampled_from(["a", "b", "c"])
CENTS = st.integers(min_value=0, max_value=50_000).map(lambda c: Decimal(c).scaleb(-2))
BILLING = st.sampled_from([*BillingType, None])

subscriptions = st.lists(
    st.builds(Subscription, USERS, ADD_ONS, CENTS, BILLING, st.booleans()),
    unique_by=lambda s: (s.user_id, s.add_on),
)
changes = st.lists(
    st.builds(
        SubscriptionChange,
        USERS,
        ADD_ONS,
        st.integers(min_value=0, max_value=60).map(lambda d: ORIGIN + timedelta(days=d)),
        st.sampled_from([Decimal("0.00"), Decimal("5.00"), Decimal("8.33"), Decimal("20.00")]),
    )
)
DAYS = st.integers(min_value=0, max_value=61)


@given(subscriptions)
def test_mrr_is_the_sum_of_per_add_on_mrr(rows):
    summary = mrr_summary(rows)
    assert summary.mrr == sum(summary.by_add_on.values(), Decimal("0.00"))
    assert summary.arr == 12 * summary.mrr


@given(changes, DAYS, DAYS)
def test_start_plus_movements_is_end(history, first, second):
    start, end = sorted((ORIGIN + timedelta(days=first), ORIGIN + timedelta(days=second)))
    period = movements(history, start, end)
    assert period.start + period.net == period.end
    # And the ends are what the history says at those instants, whatever came between.
    assert period.start == movements(history, start, start).end
    assert period.end == movements(history, ORIGIN, end).end


@given(changes, DAYS, DAYS, DAYS)
def test_movements_of_adjacent_periods_add_up(history, one, two, three):
    a, b, c = (ORIGIN + timedelta(days=d) for d in sorted((one, two, three)))
    whole = movements(history, a, c)
    first, second = movements(history, a, b), movements(history, b, c)
    for kind, amount in whole.amounts.items():
        assert amount == first.amounts[kind] + second.amounts[kind]
