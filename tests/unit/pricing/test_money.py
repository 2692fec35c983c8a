from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from marketplace.pricing.money import (
    allocate,
    discounted_price,
    format_money,
    round_money,
    spread_refund,
)

A, B, C = (UUID(int=n) for n in (1, 2, 3))


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [
        ("0.125", "0.13"),
        ("2.675", "2.68"),
        ("0.004", "0.00"),
        ("122.1825", "122.18"),
        ("7", "7.00"),
    ],
)
def test_round_money_rounds_half_up_to_the_cent(amount, rounded):
    assert str(round_money(Decimal(amount))) == rounded


def test_discounted_price_takes_the_percent_before_the_amount():
    price = discounted_price(Decimal("19.99"), percent=Decimal("10"), amount_off=Decimal("1.00"))

    assert price == Decimal("16.99")  # round(17.991) - 1.00


def test_discounted_price_never_goes_below_zero():
    price = discounted_price(Decimal("9.99"), percent=Decimal("50"), amount_off=Decimal("10"))

    assert str(price) == "0.00"


def test_allocate_splits_evenly_when_it_can():
    assert allocate(
        Decimal("4.50"), {A: Decimal("9.99"), B: Decimal("9.99"), C: Decimal("9.99")}
    ) == {
        A: Decimal("1.50"),
        B: Decimal("1.50"),
        C: Decimal("1.50"),
    }


def test_allocate_gives_leftover_cents_to_the_largest_remainders():
    shares = allocate(
        Decimal("9.99"), {A: Decimal("19.99"), B: Decimal("14.99"), C: Decimal("14.99")}
    )

    # Exact shares 3.9964…, 2.9968…, 2.9968…: the two leftover cents go to B and C.
    assert shares == {A: Decimal("3.99"), B: Decimal("3.00"), C: Decimal("3.00")}


def test_allocate_breaks_equal_remainders_by_key_not_by_input_order():
    weights = {C: Decimal("1.00"), B: Decimal("1.00"), A: Decimal("1.00")}

    assert allocate(Decimal("0.02"), weights) == {
        C: Decimal("0.00"),
        B: Decimal("0.01"),
        A: Decimal("0.01"),
    }


def test_allocate_of_nothing_is_zero_everywhere_even_over_zero_weights():
    assert allocate(Decimal("0.00"), {A: Decimal("0.00")}) == {A: Decimal("0.00")}


@pytest.mark.parametrize(
    ("total", "weights", "message"),
    [
        ("5.00", {A: Decimal("4.99")}, "cannot allocate 5.00"),
        ("0.005", {A: Decimal("1.00")}, "not a whole number of cents"),
        ("-0.01", {A: Decimal("1.00")}, "non-negative"),
    ],
)
def test_allocate_rejects_what_cannot_be_split_exactly(total, weights, message):
    with pytest.raises(ValueError, match=message):
        allocate(Decimal(total), weights)


def test_spread_refund_counts_only_what_goes_beyond_refunds_recorded():
    a, b = uuid4(), uuid4()
    lines = {a: (Decimal("9.99"), Decimal("9.99")), b: (Decimal("20.00"), Decimal("0.00"))}

    assert spread_refund(Decimal("9.99"), lines) == {}  # the automatic refund, reported back
    assert spread_refund(Decimal("14.99"), lines) == {b: Decimal("5.00")}
    assert spread_refund(Decimal("99.00"), lines) == {b: Decimal("20.00")}  # capped at charged


def test_spread_refund_splits_in_proportion_to_what_is_left():
    a, b = uuid4(), uuid4()
    lines = {a: (Decimal("10.00"), Decimal("0.00")), b: (Decimal("30.00"), Decimal("0.00"))}

    assert spread_refund(Decimal("4.00"), lines) == {a: Decimal("1.00"), b: Decimal("3.00")}


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (Decimal("1234.5"), "USD", "$1,234.50"),
        (Decimal("0"), "usd", "$0.00"),
        (Decimal("9.995"), "EUR", "€10.00"),
        (Decimal("12"), "CHF", "12.00 CHF"),
    ],
)
def test_format_money_reads_the_same_everywhere(amount, currency, text):
    assert format_money(amount, currency) == text
