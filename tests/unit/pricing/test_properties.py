from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.pricing import (
    BundleOffer,
    CartLine,
    PromoCode,
    Shopper,
    TierRule,
    quote,
)
from marketplace.pricing.money import CENT, allocate
from marketplace.vocabulary import BillingType

from .catalogue import NOW

FAST = settings(max_examples=150, deadline=None)

ADD_ON_IDS = tuple(UUID(int=number) for number in range(1, 7))
TIERS = (None, "gold", "vip_founder")

money = st.decimals(min_value=0, max_value=500, places=2)
percent = st.decimals(min_value=0, max_value=100, places=2)
add_on_id = st.sampled_from(ADD_ON_IDS)
add_on_set = st.lists(add_on_id, min_size=1, max_size=3, unique=True).map(tuple)


@st.composite
def carts(draw) -> list[CartLine]:
    return [
        CartLine(
            add_on_id=line_id,
            name=f"Add-on {line_id.int}",
            unit_price=draw(money),
            billing_type=draw(st.sampled_from(list(BillingType))),
            quantity=draw(st.integers(min_value=1, max_value=100)),
        )
        for line_id in draw(st.lists(add_on_id, max_size=len(ADD_ON_IDS), unique=True))
    ]


rules = st.lists(
    st.builds(
        TierRule,
        id=st.uuids(),
        add_on_id=add_on_id,
        tier_code=st.sampled_from(TIERS),
        discount_percent=st.none() | percent,
        discount_amount=st.none() | money,
        conditions=st.sampled_from(
            [{}, {"min_quantity": 10}, {"requires_add_ons": [str(ADD_ON_IDS[0])]}]
        ),
        priority=st.integers(min_value=0, max_value=2),
    ),
    max_size=6,
)
bundles = st.lists(
    st.builds(
        BundleOffer,
        id=st.uuids(),
        name=st.just("Bundle"),
        add_on_ids=add_on_set,
        discount_percent=st.none() | percent,
        discount_amount=st.none() | money,
    ),
    max_size=5,
)
promo_fields = {
    "code": st.just("CODE"),
    "max_uses": st.none(),
    "current_uses": st.just(0),
    "applicable_to": st.none() | add_on_set,
    "expires_at": st.none(),
    "min_purchase_amount": st.none() | money,
}
promos = st.none() | st.one_of(
    st.builds(
        PromoCode, discount_type=st.just("percentage"), discount_value=percent, **promo_fields
    ),
    st.builds(
        PromoCode, discount_type=st.just("fixed_amount"), discount_value=money, **promo_fields
    ),
)
shoppers = st.builds(
    Shopper,
    tier=st.sampled_from(TIERS),
    owned_add_on_ids=st.frozensets(add_on_id, max_size=2),
)
scenarios = st.fixed_dictionaries(
    {"shopper": shoppers, "rules": rules, "bundles": bundles, "promo": promos}
)


@FAST
@given(carts(), scenarios)
def test_totals_are_sums_of_the_lines(lines, scenario):
    quoted = quote(lines, now=NOW, **scenario)

    for line in quoted.lines:
        assert line.due_today == (
            line.subtotal - line.tier_discount - line.bundle_discount - line.promo_discount
        )
    assert quoted.due_today == sum(line.due_today for line in quoted.lines)
    assert quoted.subtotal == sum(period.subtotal for period in quoted.periods)
    assert quoted.due_today == sum(period.due_today for period in quoted.periods)
    assert quoted.bundle_discount == sum(bundle.discount for bundle in quoted.applied_bundles)
    promo_discount = quoted.promo.discount if quoted.promo else 0
    assert quoted.promo_discount == promo_discount


@FAST
@given(carts(), scenarios)
def test_every_discount_is_whole_cents_between_zero_and_what_it_discounts(lines, scenario):
    quoted = quote(lines, now=NOW, **scenario)

    for line in quoted.lines:
        after_tier = line.subtotal - line.tier_discount
        assert 0 <= line.tier_discount <= line.subtotal
        assert 0 <= line.bundle_discount <= after_tier
        assert 0 <= line.promo_discount <= line.recurring_total
        assert line.due_today >= 0
        amounts = (line.subtotal, line.tier_discount, line.bundle_discount, line.promo_discount)
        assert all(amount == amount.quantize(CENT) for amount in amounts)
    assert quoted.due_today >= 0
    assert (quoted.promo is None) or (quoted.promo_rejection is None)


@FAST
@given(carts(), scenarios, st.data())
def test_line_order_does_not_change_any_add_on_price(lines, scenario, data):
    shuffled = data.draw(st.permutations(lines))

    def by_add_on(cart):
        return {line.add_on_id: line for line in quote(cart, now=NOW, **scenario).lines}

    assert by_add_on(shuffled) == by_add_on(lines)


@FAST
@given(st.dictionaries(add_on_id, money, min_size=1), st.data())
def test_allocation_adds_up_exactly_and_stays_within_each_weight(weights, data):
    whole = sum(weights.values())
    total = data.draw(st.integers(min_value=0, max_value=int(whole / CENT))) * CENT

    shares = allocate(total, weights)

    assert sum(shares.values()) == total
    for key, share in shares.items():
        assert 0 <= share <= weights[key]
        # Within a cent of the exact proportional share, cross-multiplied as whole may be zero.
        assert whole == 0 or abs(share * whole - total * weights[key]) < CENT * whole
