"""The DB → pricing-engine adapter against seeded rows: bundles, codes and restrictions."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import event

from marketplace import quoting
from marketplace.extensions import db
from marketplace.models import PricingRule
from marketplace.pricing import RejectionReason
from marketplace.shopper import Shopper
from tests.fixtures.catalog import completed_purchase, put_in_cart
from tests.fixtures.shoppers import ANON_OWNER

ANONYMOUS = Shopper(user_id=None, tier=None, anonymous_id="x")


def member(user_id="user-1", tier=None) -> Shopper:
    return Shopper(user_id=user_id, tier=tier, anonymous_id=None)


def test_ai_productivity_bundle_costs_25_47(cart_with_bundle, session):
    view = quoting.quote_cart(session, ANONYMOUS, ANON_OWNER, None)

    assert view.quote.subtotal == Decimal("29.97")
    assert view.quote.due_today == Decimal("25.47")
    assert [(b.name, b.discount) for b in view.quote.applied_bundles] == [
        ("AI Productivity Bundle", Decimal("4.50"))
    ]
    assert sum(line.quote.recurring_total for line in view.lines) == Decimal("25.47")


def test_developer_pro_bundle_costs_39_98(session, catalog):
    put_in_cart(session, ANON_OWNER, catalog.brigade, catalog.bolt, catalog.vector_search)

    quote = quoting.quote_cart(session, ANONYMOUS, ANON_OWNER, None).quote

    assert (quote.subtotal, quote.due_today) == (Decimal("49.97"), Decimal("39.98"))
    (period,) = quote.periods
    assert period.renewal == Decimal("39.98")


def test_launch2025_takes_20_percent_off_in_any_case(cart_with_bundle, session):
    quote = quoting.quote_cart(session, ANONYMOUS, ANON_OWNER, "launch2025").quote

    assert quote.promo.code == "LAUNCH2025"
    assert quote.promo.discount == Decimal("5.09")
    assert quote.due_today == Decimal("20.38")
    # The code discounts the first payment only.
    assert quote.periods[0].renewal == Decimal("25.47")


def test_friend50_takes_5_dollars_off(cart_with_bundle, session):
    quote = quoting.quote_cart(session, ANONYMOUS, ANON_OWNER, " Friend50 ").quote

    assert quote.promo.discount == Decimal("5.00")
    assert quote.due_today == Decimal("20.47")


def test_firstbuy_is_refused_after_a_completed_purchase(session, catalog):
    put_in_cart(session, "user-1", catalog.tts)
    assert quoting.quote_cart(
        session, member(), "user-1", "FIRSTBUY"
    ).quote.promo.discount == Decimal("1.50")

    completed_purchase(session, "user-1", catalog.gpu)
    quote = quoting.quote_cart(session, member(), "user-1", "FIRSTBUY").quote

    assert quote.promo is None
    assert quote.promo_rejection.reason == RejectionReason.FIRST_PURCHASE_ONLY
    assert quote.due_today == Decimal("9.99")


def test_vip2025_needs_the_vip_founder_tier(session, catalog):
    put_in_cart(session, "user-1", catalog.gpu)

    refused = quoting.quote_cart(session, member(tier="pro"), "user-1", "VIP2025").quote
    accepted = quoting.quote_cart(session, member(tier="vip_founder"), "user-1", "VIP2025").quote

    assert refused.promo_rejection.reason == RejectionReason.TIER_REQUIRED
    assert refused.promo_rejection.message == "This code is for vip_founder members."
    assert accepted.promo.discount == Decimal("15.00")
    assert accepted.due_today == Decimal("34.99")


def test_a_code_used_once_per_user_is_refused_the_second_time(session, catalog):
    code = catalog.codes["FRIEND50"]
    code.user_restrictions = {"once_per_user": True}
    session.commit()
    completed_purchase(session, "user-1", catalog.gpu, promo=code)
    put_in_cart(session, "user-1", catalog.tts)

    quote = quoting.quote_cart(session, member(), "user-1", "friend50").quote

    assert quote.promo_rejection.reason == RejectionReason.ALREADY_USED


def test_every_rejection_reaches_the_quote(session, catalog):
    codes = catalog.codes
    codes["LAUNCH2025"].is_active = False
    codes["FRIEND50"].current_uses = 1000
    codes["FIRSTBUY"].min_purchase_amount = Decimal("50.00")
    codes["VIP2025"].applicable_to = [catalog.gpu.id]
    codes["VIP2025"].user_restrictions = {}
    session.commit()
    put_in_cart(session, ANON_OWNER, catalog.tts)

    def reason(code):
        return quoting.quote_cart(session, ANONYMOUS, ANON_OWNER, code).quote.promo_rejection

    assert reason("NOPE").reason == RejectionReason.UNKNOWN
    assert reason("LAUNCH2025").reason == RejectionReason.INACTIVE
    assert reason("FRIEND50").reason == RejectionReason.USED_UP
    assert reason("VIP2025").reason == RejectionReason.NOT_APPLICABLE
    below = reason("FIRSTBUY")
    assert below.reason == RejectionReason.BELOW_MINIMUM
    assert below.message == "Add $40.01 more to use this code (minimum $50.00)."


def test_tier_rules_apply_for_the_shoppers_tier(session, catalog):
    session.add(
        PricingRule(add_on_id=catalog.gpu.id, tier_code="pro", discount_percent=Decimal("10"))
    )
    session.commit()

    pro = quoting.quote_add_ons(session, member(tier="pro"), [(catalog.gpu, 1)])
    basic = quoting.quote_add_ons(session, member(tier="basic"), [(catalog.gpu, 1)])

    assert pro.lines[0].tier_discount == Decimal("5.00")
    assert pro.due_today == Decimal("44.99")
    assert basic.due_today == Decimal("49.99")


def test_quote_cart_runs_a_fixed_number_of_queries(session, catalog):
    put_in_cart(session, "user-1", *catalog.add_ons.values())
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    engine = db.engines[None]
    event.listen(engine, "before_cursor_execute", count)
    try:
        view = quoting.quote_cart(session, member(tier="pro"), "user-1", "LAUNCH2025")
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert len(view.lines) == 9
    # lines, rules, bundles, promo code, owned add-ons, purchase facts
    assert len(statements) == 6, statements
