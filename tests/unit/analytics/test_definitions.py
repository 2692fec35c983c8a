"""The analytics definitions (DESIGN.md, "Analytics"), on hand-computed scenarios."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from marketplace.analytics import (
    Movement,
    Subscription,
    SubscriptionChange,
    churn,
    classify,
    monthly_amount,
    movements,
    mrr_summary,
    recurring_amount,
)
from marketplace.vocabulary import BillingType

D = Decimal
JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def test_a_one_off_promo_does_not_lower_the_recurring_amount():
    # $20.00 list, 10% tier price → $18.00; SAVE5 took $5.00 off the first payment: $13.00.
    assert recurring_amount(D("13.00"), D("5.00")) == D("18.00")


def test_monthly_amounts_per_billing_type():
    assert monthly_amount(D("18.00"), BillingType.MONTHLY) == D("18.00")
    assert monthly_amount(D("100.00"), BillingType.ANNUAL) == D("8.33")  # 8.333… half up
    assert monthly_amount(D("191.94"), BillingType.ANNUAL) == D("16.00")  # 15.995 half up
    assert monthly_amount(D("9.00"), BillingType.USAGE_BASED) == D("9.00")  # the base fee
    assert monthly_amount(D("49.00"), BillingType.ONE_TIME) == D("0.00")
    assert monthly_amount(D("0.00"), None) == D("0.00")  # complimentary grant
    assert monthly_amount(D("18.00"), BillingType.MONTHLY, active=False) == D("0.00")


def test_mrr_arr_subscribers_and_arpu():
    summary = mrr_summary(
        [
            # Ann: a bundle-discounted monthly line ($25.47 bundle share) and an annual $120.
            Subscription("ann", "voice", D("25.47"), BillingType.MONTHLY),
            Subscription("ann", "docs", D("120.00"), BillingType.ANNUAL),
            # Ben: usage-based base fee, plus a lifetime one-time purchase.
            Subscription("ben", "gpu", D("9.00"), BillingType.USAGE_BASED),
            Subscription("ben", "ocr", D("49.00"), BillingType.ONE_TIME),
            # Cat: complimentary only; Dan: cancelled.
            Subscription("cat", "voice", D("0.00"), None),
            Subscription("dan", "voice", D("30.00"), BillingType.MONTHLY, active=False),
        ]
    )
    assert summary.mrr == D("44.47")  # 25.47 + 10.00 + 9.00
    assert summary.arr == D("533.64")
    assert summary.subscribers == 2
    assert summary.arpu == D("22.24")  # 22.235 half up
    assert summary.by_add_on == {"voice": D("25.47"), "docs": D("10.00"), "gpu": D("9.00")}


def test_classify_each_movement():
    assert classify(D(0), D(10), had_mrr_before=False) is Movement.NEW
    assert classify(D(0), D(10), had_mrr_before=True) is Movement.REACTIVATION
    assert classify(D(10), D(15), had_mrr_before=True) is Movement.EXPANSION
    assert classify(D(15), D(5), had_mrr_before=True) is Movement.CONTRACTION
    assert classify(D(15), D(0), had_mrr_before=True) is Movement.CHURNED
    assert classify(D(15), D(15), had_mrr_before=True) is None


HISTORY = [
    # Ann subscribes in January (monthly 20 + annual 120 in one checkout: one "new").
    SubscriptionChange("ann", "voice", at(1, 5), D("20.00")),
    SubscriptionChange("ann", "docs", at(1, 5), D("10.00")),
    # Ben subscribes in January, his renewal switched off: counts until it ends in February.
    SubscriptionChange("ben", "voice", at(1, 10), D("20.00")),
    SubscriptionChange("ben", "voice", at(2, 10), D("0.00")),
    # Ann adds gpu in February (expansion), drops docs (contraction).
    SubscriptionChange("ann", "gpu", at(2, 3), D("9.00")),
    SubscriptionChange("ann", "docs", at(2, 20), D("0.00")),
    # Cat is new in February; Ben comes back in February (reactivation).
    SubscriptionChange("cat", "ocr", at(2, 14), D("15.00")),
    SubscriptionChange("ben", "gpu", at(2, 25), D("9.00")),
    # Dan's complimentary grant never counts.
    SubscriptionChange("dan", "voice", at(2, 1), D("0.00")),
    # After the period: ignored.
    SubscriptionChange("cat", "ocr", at(3, 2), D("0.00")),
]


def test_movements_in_february():
    feb = movements(HISTORY, FEB, MAR)
    assert feb.start == D("50.00")  # ann 30 + ben 20
    assert feb.amounts == {
        Movement.NEW: D("15.00"),
        Movement.EXPANSION: D("9.00"),
        Movement.CONTRACTION: D("-10.00"),
        Movement.CHURNED: D("-20.00"),
        Movement.REACTIVATION: D("9.00"),
    }
    assert feb.users == {
        Movement.NEW: 1,
        Movement.EXPANSION: 1,
        Movement.CONTRACTION: 1,
        Movement.CHURNED: 1,
        Movement.REACTIVATION: 1,
    }
    assert feb.end == D("53.00")  # ann 29 + ben 9 + cat 15
    assert feb.start + feb.net == feb.end
    assert (feb.start_subscribers, feb.end_subscribers) == (2, 3)


def test_movements_in_january_count_one_checkout_once():
    jan = movements(HISTORY, JAN, FEB)
    assert jan.start == D("0.00")
    assert jan.amounts[Movement.NEW] == D("50.00")
    assert jan.users[Movement.NEW] == 2
    assert jan.end == D("50.00")


def test_churn_in_february():
    # Stripe: 1 churned ÷ (2 subscribers at the start + 2 joined: Cat new, Ben reactivated).
    # Revenue churn: (20 churned + 10 contraction) ÷ 50 at the start.
    figures = churn(movements(HISTORY, FEB, MAR))
    assert figures.rate == D("0.2500")
    assert figures.revenue == D("0.6000")


def test_churn_of_an_empty_window_is_zero():
    figures = churn(movements([], FEB, MAR))
    assert (figures.rate, figures.revenue) == (D("0.0000"), D("0.0000"))
