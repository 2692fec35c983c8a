"""How an admin's refund splits over an order's lines (marketplace/admin/orders/refund_plan)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from marketplace.admin.orders.refund_plan import NotRefundable, plan_refund

A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))
LEFT = {A: Decimal("9.99"), B: Decimal("19.99"), C: Decimal("0.00")}


def test_a_line_with_no_amount_gets_back_all_it_has_left():
    assert plan_refund(LEFT, B, None) == {B: Decimal("19.99")}


def test_part_of_a_line():
    assert plan_refund(LEFT, A, Decimal("0.01")) == {A: Decimal("0.01")}


def test_the_whole_order_with_no_amount_is_everything_left():
    assert plan_refund(LEFT, None, None) == {A: Decimal("9.99"), B: Decimal("19.99")}


def test_part_of_the_order_is_spread_in_proportion_to_what_is_left_to_the_cent():
    shares = plan_refund(LEFT, None, Decimal("10.00"))
    assert shares == {A: Decimal("3.33"), B: Decimal("6.67")}
    assert sum(shares.values()) == Decimal("10.00")


def test_a_cent_goes_to_one_line_only():
    assert plan_refund(LEFT, None, Decimal("0.01")) == {B: Decimal("0.01")}


@pytest.mark.parametrize(
    ("line", "amount", "message"),
    [
        (A, Decimal("10.00"), "At most $9.99 is left to refund on this line; $10.00 is more"),
        (None, Decimal("30.00"), "At most $29.98 is left to refund on this order; $30.00 is"),
        (C, None, "Nothing is left to refund on this line: it was refunded in full."),
        (uuid.UUID(int=9), None, "This line was never paid, so there is nothing to refund"),
        (A, Decimal("0"), "Enter an amount in whole cents, at least 0.01."),
        (A, Decimal("1.005"), "Enter an amount in whole cents, at least 0.01."),
    ],
)
def test_refusals_say_what_is_possible(line, amount, message):
    with pytest.raises(NotRefundable) as refused:
        plan_refund(LEFT, line, amount)
    assert str(refused.value).startswith(message)


def test_an_order_refunded_in_full_has_nothing_left():
    with pytest.raises(NotRefundable, match="Nothing is left to refund on this order"):
        plan_refund({A: Decimal("0.00")}, None, None)


def test_other_currencies_read_as_such():
    with pytest.raises(NotRefundable, match=r"At most €9\.99 is left"):
        plan_refund(LEFT, A, Decimal("10.00"), "EUR")
