from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from marketplace.pricing import AppliedBundle, BundleOffer, TierRule, bundle_price, quote

from .catalogue import (
    AI_PRODUCTIVITY,
    ALL_ADD_ONS,
    BOLT,
    BRIGADE,
    DEVELOPER_PRO,
    ENTERPRISE_SUITE,
    NEW_SHOPPER,
    NOW,
    PRESENTON,
    SEED_BUNDLES,
    STT,
    TTS,
    VECTOR_SEARCH,
)

UNIT_PRICES = {line.add_on_id: line.unit_price for line in ALL_ADD_ONS}


def bundle_discounts(quoted) -> dict[str, Decimal]:
    return {line.name: line.bundle_discount for line in quoted.lines}


def test_guide_bundle_prices_on_the_bundles_page():
    assert bundle_price(AI_PRODUCTIVITY, UNIT_PRICES) == (
        Decimal("29.97"),
        Decimal("25.47"),
        Decimal("4.50"),
    )
    assert bundle_price(DEVELOPER_PRO, UNIT_PRICES) == (
        Decimal("49.97"),
        Decimal("39.98"),
        Decimal("9.99"),
    )


def test_ai_productivity_in_the_cart_spreads_its_saving_evenly():
    quoted = quote([TTS, STT, PRESENTON], shopper=NEW_SHOPPER, bundles=SEED_BUNDLES, now=NOW)

    assert bundle_discounts(quoted) == {
        TTS.name: Decimal("1.50"),
        STT.name: Decimal("1.50"),
        PRESENTON.name: Decimal("1.50"),
    }
    assert {line.bundle_id for line in quoted.lines} == {AI_PRODUCTIVITY.id}
    assert quoted.applied_bundles == (
        AppliedBundle(AI_PRODUCTIVITY.id, "AI Productivity Bundle", Decimal("4.50")),
    )
    assert quoted.due_today == Decimal("25.47")


def test_developer_pro_allocation_adds_up_to_the_cent():
    quoted = quote(
        [BRIGADE, BOLT, VECTOR_SEARCH], shopper=NEW_SHOPPER, bundles=SEED_BUNDLES, now=NOW
    )

    assert bundle_discounts(quoted) == {
        BRIGADE.name: Decimal("3.99"),
        BOLT.name: Decimal("3.00"),
        VECTOR_SEARCH.name: Decimal("3.00"),
    }
    assert quoted.bundle_discount == Decimal("9.99")
    assert quoted.due_today == Decimal("39.98")


def test_a_bundle_needs_all_its_add_ons_in_the_cart():
    quoted = quote([TTS, STT], shopper=NEW_SHOPPER, bundles=SEED_BUNDLES, now=NOW)

    assert quoted.applied_bundles == ()
    assert quoted.bundle_discount == 0


@pytest.mark.parametrize(
    "fields",
    [{"is_active": False}, {"valid_until": NOW}, {"valid_from": NOW + timedelta(hours=1)}],
    ids=["inactive", "ended", "not started"],
)
def test_a_bundle_that_is_not_live_does_not_apply(fields):
    bundle = replace(AI_PRODUCTIVITY, **fields)

    quoted = quote([TTS, STT, PRESENTON], shopper=NEW_SHOPPER, bundles=[bundle], now=NOW)

    assert quoted.applied_bundles == ()


def test_with_all_nine_add_ons_enterprise_suite_beats_the_two_smaller_bundles():
    quoted = quote(ALL_ADD_ONS, shopper=NEW_SHOPPER, bundles=SEED_BUNDLES, now=NOW)

    # 162.91 × 0.75 = 122.1825 → 122.18, a saving of 40.73 against 4.50 + 9.99.
    assert quoted.applied_bundles == (
        AppliedBundle(ENTERPRISE_SUITE.id, "Enterprise Suite", Decimal("40.73")),
    )
    assert quoted.subtotal == Decimal("162.91")
    assert quoted.due_today == Decimal("122.18")
    assert {line.bundle_id for line in quoted.lines} == {ENTERPRISE_SUITE.id}


def test_two_smaller_bundles_win_when_together_they_save_more():
    stingy_enterprise = replace(ENTERPRISE_SUITE, discount_percent=Decimal("5"))

    quoted = quote(
        ALL_ADD_ONS,
        shopper=NEW_SHOPPER,
        bundles=[stingy_enterprise, AI_PRODUCTIVITY, DEVELOPER_PRO],
        now=NOW,
    )

    assert [bundle.bundle_id for bundle in quoted.applied_bundles] == [
        AI_PRODUCTIVITY.id,
        DEVELOPER_PRO.id,
    ]
    assert quoted.bundle_discount == Decimal("14.49")


def amount_off(number: int, amount: str, *add_ons) -> BundleOffer:
    return BundleOffer(
        id=UUID(int=200 + number),
        name=f"Bundle {number}",
        add_on_ids=tuple(line.add_on_id for line in add_ons),
        discount_percent=None,
        discount_amount=Decimal(amount),
    )


def test_equal_savings_go_to_fewer_bundles():
    pair = amount_off(3, "2.00", TTS, STT)
    singles = [amount_off(1, "1.00", TTS), amount_off(2, "1.00", STT)]

    quoted = quote([TTS, STT], shopper=NEW_SHOPPER, bundles=[*singles, pair], now=NOW)

    assert [bundle.bundle_id for bundle in quoted.applied_bundles] == [pair.id]


def test_equal_savings_with_as_many_bundles_go_to_the_smaller_id():
    bundles = [amount_off(2, "1.00", TTS, STT), amount_off(1, "1.00", TTS, STT)]

    quoted = quote([TTS, STT], shopper=NEW_SHOPPER, bundles=bundles, now=NOW)

    assert [bundle.bundle_id for bundle in quoted.applied_bundles] == [UUID(int=201)]


def test_a_bundle_discounts_the_lines_after_their_tier_discounts():
    half_off_tts = TierRule(
        id=UUID(int=1),
        add_on_id=TTS.add_on_id,
        tier_code=None,
        discount_percent=Decimal("50"),
        discount_amount=None,
        conditions={},
        priority=0,
    )

    quoted = quote(
        [TTS, STT, PRESENTON],
        shopper=NEW_SHOPPER,
        rules=[half_off_tts],
        bundles=[AI_PRODUCTIVITY],
        now=NOW,
    )

    # After tier: 5.00 + 9.99 + 9.99 = 24.98; 15% off → 21.23, a saving of 3.75.
    assert bundle_discounts(quoted) == {
        TTS.name: Decimal("0.75"),
        STT.name: Decimal("1.50"),
        PRESENTON.name: Decimal("1.50"),
    }
    assert quoted.due_today == Decimal("21.23")


def test_an_amount_off_bundle_never_prices_below_zero():
    quoted = quote([TTS], shopper=NEW_SHOPPER, bundles=[amount_off(1, "20.00", TTS)], now=NOW)

    assert (quoted.bundle_discount, quoted.due_today) == (Decimal("9.99"), Decimal("0.00"))


def test_a_bundle_needs_at_least_one_add_on():
    with pytest.raises(ValueError, match="at least one add-on"):
        amount_off(1, "1.00")
