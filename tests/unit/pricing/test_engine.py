from dataclasses import replace
from decimal import Decimal
from uuid import UUID

import pytest

from marketplace.pricing import CartLine, PeriodTotals, quote

from .catalogue import BOLT, GPU, LAUNCH2025, NEW_SHOPPER, NOW, TTS

ANNUAL_GPU = replace(GPU, unit_price=Decimal("499.99"), billing_type="annual")
SETUP_FEE = CartLine(
    add_on_id=UUID(int=50),
    name="Onboarding session",
    unit_price=Decimal("25.00"),
    billing_type="one_time",
    quantity=1,
)


def test_an_empty_cart_quotes_zero_everywhere():
    quoted = quote([], shopper=NEW_SHOPPER, now=NOW)

    assert quoted.lines == ()
    assert quoted.periods == ()
    assert quoted.applied_bundles == ()
    assert (quoted.promo, quoted.promo_rejection) == (None, None)
    assert str(quoted.subtotal) == str(quoted.due_today) == "0.00"


def test_a_line_subtotal_is_unit_price_times_quantity():
    line = quote([replace(TTS, quantity=3)], shopper=NEW_SHOPPER, now=NOW).lines[0]

    assert (line.subtotal, line.recurring_total, line.due_today) == (
        Decimal("29.97"),
        Decimal("29.97"),
        Decimal("29.97"),
    )


def test_lines_keep_their_input_order():
    quoted = quote([GPU, TTS, BOLT], shopper=NEW_SHOPPER, now=NOW)

    assert [line.name for line in quoted.lines] == [GPU.name, TTS.name, BOLT.name]


def test_monthly_and_annual_lines_make_two_periods_and_the_promo_hits_only_today():
    quoted = quote([ANNUAL_GPU, TTS], shopper=NEW_SHOPPER, promo=LAUNCH2025, now=NOW)

    monthly, annual = quoted.periods
    assert (monthly.billing_type, monthly.subtotal, monthly.promo_discount) == (
        "monthly",
        Decimal("9.99"),
        Decimal("2.00"),
    )
    assert (monthly.due_today, monthly.renewal) == (Decimal("7.99"), Decimal("9.99"))
    assert (annual.billing_type, annual.subtotal, annual.promo_discount) == (
        "annual",
        Decimal("499.99"),
        Decimal("100.00"),
    )
    assert (annual.due_today, annual.renewal) == (Decimal("399.99"), Decimal("499.99"))
    assert quoted.due_today == Decimal("407.98")


def test_a_one_time_line_has_no_renewal_and_is_listed_first():
    quoted = quote([TTS, SETUP_FEE], shopper=NEW_SHOPPER, now=NOW)

    assert [period.billing_type for period in quoted.periods] == ["one_time", "monthly"]
    assert quoted.periods[0] == PeriodTotals(billing_type="one_time", lines=(quoted.lines[1],))
    assert quoted.periods[0].renewal is None


def test_a_naive_now_is_rejected():
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        quote([TTS], shopper=NEW_SHOPPER, now=NOW.replace(tzinfo=None))


@pytest.mark.parametrize("quantity", [0, 101, -1, True])
def test_a_quantity_outside_1_to_100_is_rejected(quantity):
    with pytest.raises(ValueError, match="quantity must be a whole number from 1 to 100"):
        replace(TTS, quantity=quantity)


def test_a_negative_price_is_rejected():
    with pytest.raises(ValueError, match="unit_price must be zero or more"):
        replace(TTS, unit_price=Decimal("-0.01"))


def test_a_float_price_is_rejected():
    with pytest.raises(TypeError, match="unit_price must be a Decimal, not float"):
        replace(TTS, unit_price=9.99)


def test_an_unknown_billing_type_is_rejected():
    with pytest.raises(ValueError, match="billing_type must be one of"):
        replace(TTS, billing_type="weekly")


def test_the_same_add_on_on_two_lines_is_rejected():
    with pytest.raises(ValueError, match="on more than one cart line"):
        quote([TTS, replace(TTS, quantity=2)], shopper=NEW_SHOPPER, now=NOW)
