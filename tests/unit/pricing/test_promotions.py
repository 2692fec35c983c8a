from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from marketplace.pricing import (
    UNKNOWN_PROMO,
    AppliedPromo,
    PromoRejection,
    RejectionReason,
    Shopper,
    check_promo,
    history_rejection,
    normalize_code,
    quote,
)

from .catalogue import (
    AI_PRODUCTIVITY,
    FIRSTBUY,
    FRIEND50,
    GPU,
    LAUNCH2025,
    NEW_SHOPPER,
    NOW,
    PRESENTON,
    RETURNING_SHOPPER,
    STT,
    TTS,
    VIP2025,
)


def with_promo(promo, lines=(TTS, GPU), *, shopper=NEW_SHOPPER, **kwargs):
    return quote(lines, shopper=shopper, promo=promo, now=NOW, **kwargs)


def rejection_of(promo, lines=(TTS, GPU), *, shopper=NEW_SHOPPER):
    quoted = with_promo(promo, lines, shopper=shopper)
    assert quoted.promo is None
    return quoted.promo_rejection


def test_launch2025_takes_20_percent_off_the_first_payment_only():
    quoted = with_promo(LAUNCH2025)

    # 20% of 59.98 = 11.996 → 12.00, split over 9.99 and 49.99.
    assert quoted.promo == AppliedPromo("LAUNCH2025", Decimal("12.00"))
    assert [line.promo_discount for line in quoted.lines] == [Decimal("2.00"), Decimal("10.00")]
    assert quoted.due_today == Decimal("47.98")
    assert [period.renewal for period in quoted.periods] == [Decimal("59.98")]
    assert quoted.promo_rejection is None


def test_launch2025_is_used_up_after_100_uses():
    assert rejection_of(replace(LAUNCH2025, current_uses=100)) == PromoRejection(
        RejectionReason.USED_UP, "This code has reached its usage limit."
    )


def test_firstbuy_takes_15_percent_off_a_first_purchase():
    assert with_promo(FIRSTBUY).promo == AppliedPromo("FIRSTBUY", Decimal("9.00"))


def test_firstbuy_is_rejected_for_a_returning_shopper():
    assert rejection_of(FIRSTBUY, shopper=RETURNING_SHOPPER) == PromoRejection(
        RejectionReason.FIRST_PURCHASE_ONLY, "This code is for your first purchase only."
    )


def test_friend50_takes_5_dollars_off_split_in_proportion():
    quoted = with_promo(FRIEND50)

    assert quoted.promo == AppliedPromo("FRIEND50", Decimal("5.00"))
    assert [line.promo_discount for line in quoted.lines] == [Decimal("0.83"), Decimal("4.17")]
    assert quoted.due_today == Decimal("54.98")


def test_a_fixed_amount_larger_than_the_cart_is_capped_at_the_cart():
    quoted = with_promo(replace(FRIEND50, discount_value=Decimal("50.00")), [TTS])

    assert quoted.promo == AppliedPromo("FRIEND50", Decimal("9.99"))
    assert str(quoted.due_today) == "0.00"


def test_vip2025_is_rejected_for_other_tiers():
    assert rejection_of(VIP2025, shopper=Shopper(tier="pro")) == PromoRejection(
        RejectionReason.TIER_REQUIRED, "This code is for vip_founder members."
    )


def test_vip2025_takes_30_percent_off_for_vip_founders():
    quoted = with_promo(VIP2025, shopper=Shopper(tier="vip_founder"))

    assert quoted.promo == AppliedPromo("VIP2025", Decimal("17.99"))  # 17.994
    assert quoted.due_today == Decimal("41.99")


def test_a_code_for_several_tiers_names_them_all():
    promo = replace(VIP2025, user_restrictions={"tier": ["vip_founder", "enterprise"]})

    assert rejection_of(promo).message == "This code is for vip_founder or enterprise members."


@pytest.mark.parametrize(
    ("fields", "reason", "message"),
    [
        ({"is_active": False}, RejectionReason.INACTIVE, "This code is no longer active."),
        (
            {"valid_from": NOW + timedelta(minutes=1)},
            RejectionReason.NOT_STARTED,
            "This code isn't valid yet.",
        ),
        ({"expires_at": NOW}, RejectionReason.EXPIRED, "This code has expired."),
        (
            {"applicable_to": (PRESENTON.add_on_id,)},
            RejectionReason.NOT_APPLICABLE,
            "This code doesn't apply to anything in your cart.",
        ),
        (
            {"user_restrictions": {"country": "NZ"}},
            RejectionReason.UNSUPPORTED_RESTRICTION,
            "This code has conditions we can't check here, so it can't be applied.",
        ),
    ],
    ids=["inactive", "not started", "expired", "not applicable", "unknown restriction"],
)
def test_a_code_that_cannot_be_used_says_why(fields, reason, message):
    assert rejection_of(replace(LAUNCH2025, **fields)) == PromoRejection(reason, message)


def test_a_code_valid_from_now_and_expiring_later_is_accepted():
    assert with_promo(replace(LAUNCH2025, valid_from=NOW)).promo_rejection is None


def test_below_minimum_says_how_much_more_is_needed():
    promo = replace(LAUNCH2025, min_purchase_amount=Decimal("50"))
    cart = [replace(TTS, unit_price=Decimal("12.50"), quantity=3)]

    assert rejection_of(promo, cart) == PromoRejection(
        RejectionReason.BELOW_MINIMUM, "Add $12.50 more to use this code (minimum $50.00)."
    )


def test_the_minimum_is_compared_with_the_total_after_bundles():
    promo = replace(LAUNCH2025, min_purchase_amount=Decimal("27.00"))

    quoted = with_promo(promo, [TTS, STT, PRESENTON], bundles=[AI_PRODUCTIVITY])

    # 29.97 before the bundle, 25.47 after.
    assert quoted.promo_rejection.message == "Add $1.53 more to use this code (minimum $27.00)."


def test_the_minimum_counts_every_line_not_only_the_applicable_ones():
    promo = replace(
        LAUNCH2025, applicable_to=(TTS.add_on_id,), min_purchase_amount=Decimal("50.00")
    )

    quoted = with_promo(promo)

    assert quoted.promo == AppliedPromo("LAUNCH2025", Decimal("2.00"))
    assert [line.promo_discount for line in quoted.lines] == [Decimal("2.00"), Decimal("0.00")]


def test_a_once_per_user_code_is_rejected_the_second_time_whatever_its_case():
    promo = replace(LAUNCH2025, code="Launch2025", user_restrictions={"once_per_user": True})
    shopper = Shopper(used_promo_codes=frozenset({"LAUNCH2025"}))

    assert rejection_of(promo, shopper=shopper) == PromoRejection(
        RejectionReason.ALREADY_USED, "You have already used this code."
    )
    assert with_promo(promo).promo == AppliedPromo("Launch2025", Decimal("12.00"))


def test_a_code_on_an_empty_cart_is_rejected():
    assert rejection_of(LAUNCH2025, []) == PromoRejection(
        RejectionReason.EMPTY_CART, "Add something to your cart before using a code."
    )


def test_problems_with_the_code_are_reported_before_problems_with_the_cart():
    assert rejection_of(replace(LAUNCH2025, expires_at=NOW), []).reason == RejectionReason.EXPIRED


def test_a_rejected_code_changes_no_price():
    rejected = with_promo(replace(LAUNCH2025, is_active=False))

    assert rejected.lines == with_promo(None).lines
    assert rejected.promo_discount == 0


def test_check_promo_validates_a_code_against_a_priced_cart():
    priced = quote([TTS], shopper=NEW_SHOPPER, now=NOW).lines

    assert check_promo(LAUNCH2025, priced, shopper=NEW_SHOPPER, now=NOW) is None
    assert check_promo(FIRSTBUY, priced, shopper=RETURNING_SHOPPER, now=NOW).reason == (
        RejectionReason.FIRST_PURCHASE_ONLY
    )


def test_an_unknown_code_has_its_own_reason():
    assert UNKNOWN_PROMO.reason == RejectionReason.UNKNOWN == "unknown"
    assert UNKNOWN_PROMO.message == "We don't recognise this code."


def test_codes_compare_trimmed_and_upper_cased():
    assert normalize_code("  launch2025 ") == "LAUNCH2025"


def test_a_percentage_over_100_is_rejected():
    with pytest.raises(ValueError, match="between 0 and 100"):
        replace(LAUNCH2025, discount_value=Decimal("150"))


def test_an_unknown_discount_type_is_rejected():
    with pytest.raises(ValueError, match="discount_type must be one of percentage, fixed_amount"):
        replace(LAUNCH2025, discount_type="bogo")


def test_history_rejection_rechecks_only_the_shoppers_purchase_history():
    once = replace(LAUNCH2025, user_restrictions={"once_per_user": True})
    used = Shopper(has_completed_purchase=True, used_promo_codes=frozenset({"LAUNCH2025"}))

    assert history_rejection(FIRSTBUY, NEW_SHOPPER) is None
    assert history_rejection(FIRSTBUY, RETURNING_SHOPPER).reason is (
        RejectionReason.FIRST_PURCHASE_ONLY
    )
    assert history_rejection(once, used).reason is RejectionReason.ALREADY_USED
    # Code-level limits (used up, expired) are not history: fulfilment honours what was paid.
    assert history_rejection(replace(LAUNCH2025, max_uses=1, current_uses=1), used) is None
