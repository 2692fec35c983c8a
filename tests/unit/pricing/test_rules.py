from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from marketplace.pricing import CartLine, LineQuote, Shopper, TierRule, quote
from marketplace.pricing.rules import condition_problems

from .catalogue import BOLT, GPU, NEW_SHOPPER, NOW, TTS

GOLD = Shopper(tier="gold")


def rule(
    number: int, *, percent: str | None = "10", amount: str | None = None, **fields
) -> TierRule:
    values = {
        "add_on_id": BOLT.add_on_id,
        "tier_code": None,
        "conditions": {},
        "priority": 0,
    } | fields
    return TierRule(
        id=UUID(int=1000 + number),
        discount_percent=None if percent is None else Decimal(percent),
        discount_amount=None if amount is None else Decimal(amount),
        **values,
    )


def priced(line: CartLine, rules, *, shopper: Shopper = NEW_SHOPPER, also=()) -> LineQuote:
    return quote([line, *also], shopper=shopper, rules=rules, now=NOW).lines[0]


def test_a_tier_rule_discounts_the_line_subtotal():
    line = priced(replace(BOLT, quantity=2), [rule(1, tier_code="gold")], shopper=GOLD)

    assert (line.subtotal, line.tier_discount, line.recurring_total) == (
        Decimal("29.98"),
        Decimal("3.00"),  # 29.98 - round(26.982)
        Decimal("26.98"),
    )
    assert line.tier_rule_id == UUID(int=1001)


@pytest.mark.parametrize("shopper", [NEW_SHOPPER, Shopper(tier="silver")])
def test_a_rule_for_another_tier_does_not_apply(shopper):
    assert priced(BOLT, [rule(1, tier_code="gold")], shopper=shopper).tier_rule_id is None


@pytest.mark.parametrize(
    "fields",
    [
        {"is_active": False},
        {"valid_from": NOW + timedelta(seconds=1)},
        {"valid_until": NOW},
        {"add_on_id": GPU.add_on_id},
    ],
    ids=["inactive", "not started", "ended", "other add-on"],
)
def test_a_rule_that_is_not_live_or_for_another_add_on_does_not_apply(fields):
    assert priced(BOLT, [rule(1, **fields)]).tier_discount == 0


def test_a_rule_valid_from_now_applies():
    window = {"valid_from": NOW, "valid_until": NOW + timedelta(days=1)}

    assert priced(BOLT, [rule(1, **window)]).tier_rule_id == UUID(int=1001)


@pytest.mark.parametrize(("quantity", "applies"), [(4, False), (5, True)])
def test_min_quantity_condition(quantity, applies):
    line = priced(replace(BOLT, quantity=quantity), [rule(1, conditions={"min_quantity": 5})])

    assert (line.tier_rule_id is not None) is applies


def test_requires_add_ons_condition_holds_when_the_add_on_is_in_the_cart():
    requires_tts = rule(1, conditions={"requires_add_ons": [str(TTS.add_on_id)]})

    assert priced(BOLT, [requires_tts], also=[TTS]).tier_discount == Decimal("1.50")


def test_requires_add_ons_condition_holds_when_the_add_on_is_already_owned():
    requires_tts = rule(1, conditions={"requires_add_ons": [str(TTS.add_on_id)]})
    owner = Shopper(owned_add_on_ids=frozenset({TTS.add_on_id}))

    assert priced(BOLT, [requires_tts], shopper=owner).tier_discount == Decimal("1.50")


@pytest.mark.parametrize(
    "conditions",
    [
        {"requires_add_ons": [str(TTS.add_on_id)]},
        {"requires_add_ons": ["not-a-uuid"]},
        {"requires_add_ons": str(TTS.add_on_id)},
        {"min_quantity": "1"},
        {"first_purchase_only": True},
    ],
    ids=[
        "required add-on missing",
        "malformed id",
        "not a list",
        "malformed quantity",
        "unknown condition",
    ],
)
def test_a_condition_that_fails_or_is_not_understood_keeps_the_rule_out(conditions):
    assert priced(BOLT, [rule(1, conditions=conditions)]).tier_rule_id is None


def test_the_highest_priority_rule_wins_even_with_a_smaller_discount():
    rules = [rule(1, percent="50", priority=1), rule(2, percent="5", priority=2)]

    assert priced(BOLT, rules).tier_rule_id == UUID(int=1002)


def test_equal_priorities_go_to_the_larger_discount_on_this_line():
    # 10% of 14.99 is 1.50; the flat 2.00 is larger.
    rules = [rule(1, percent="10", priority=3), rule(2, percent=None, amount="2.00", priority=3)]

    quoted = quote([BOLT, TTS], shopper=NEW_SHOPPER, rules=rules, now=NOW)

    assert (quoted.lines[0].tier_rule_id, quoted.tier_discount) == (UUID(int=1002), Decimal("2.00"))


def test_a_tier_specific_rule_and_an_any_tier_rule_compete_on_priority():
    rules = [rule(1, tier_code="gold", priority=1), rule(2, tier_code=None, priority=0)]

    assert priced(BOLT, rules, shopper=GOLD).tier_rule_id == UUID(int=1001)


def test_percent_then_amount_never_prices_below_zero():
    line = priced(BOLT, [rule(1, percent="50", amount="10.00")])

    assert (line.tier_discount, line.recurring_total) == (Decimal("14.99"), Decimal("0.00"))


def test_naive_validity_dates_are_rejected():
    with pytest.raises(ValueError, match="valid_from must be timezone-aware"):
        rule(1, valid_from=NOW.replace(tzinfo=None))


def test_a_percent_over_100_is_rejected():
    with pytest.raises(ValueError, match="between 0 and 100"):
        rule(1, percent="120")


def test_condition_problems_name_unknown_keys_and_bad_shapes():
    good = {"min_quantity": 2, "requires_add_ons": ["8d2c6f0e-4b1a-4c3e-9f7d-2a5b6c7d8e9f"]}
    assert condition_problems(good) == []
    assert condition_problems({"colour": "red"}) == [
        "Unknown condition colour: the known ones are min_quantity, requires_add_ons."
    ]
    assert condition_problems({"min_quantity": True}) == [
        "min_quantity must be a whole number, 1 or more."
    ]
    assert condition_problems({"requires_add_ons": ["not-an-id"]}) == [
        "requires_add_ons must be a list of add-on ids."
    ]
