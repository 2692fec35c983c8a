"""Pricing rules through HTTP: create per add-on and tier, conditions only as the engine knows
them, concurrent edits, and the price-per-tier table equal to what the cart charges."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from marketplace import quoting
from marketplace.models import AdminAuditEntry, PricingRule
from marketplace.pricing import CONDITION_KEYS
from marketplace.shopper import Shopper
from tests.fixtures.catalog import put_in_cart

NEW = "/admin/pricing/new"
# A row of the price-per-tier table: the tier, then (after base price and discount) the price.
TIER_ROW = (
    r'<th scope="row">([^<]+)</th>\s*<td class="num">[^<]+</td>\s*'
    r'<td class="num">[^<]+</td>\s*<td class="num">([^<]+)</td>'
)


def form(add_on, **changes) -> dict:
    return {
        "add_on_id": str(add_on.id),
        "tier_code": "pro",
        "discount_kind": "percent",
        "discount_value": "20",
        "conditions": "{}",
        "priority": "5",
        "is_active": "y",
        "valid_from": "",
        "valid_until": "",
        **changes,
    }


def test_create_saves_the_rule_audits_it_and_prices_each_tier_as_the_cart(
    admin_client, session, add_ons, tiers
):
    tts = add_ons["unicorn-orator-tts"]

    response = admin_client.post(NEW, data=form(tts))

    rule = session.scalar(select(PricingRule))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/pricing/{rule.id}"
    assert (rule.tier_code, rule.discount_percent, rule.priority) == ("pro", Decimal("20.00"), 5)
    entry = session.scalar(
        select(AdminAuditEntry).where(AdminAuditEntry.action == "pricing_rule.create")
    )
    assert entry.after["tier_code"] == "pro" and entry.after["discount_percent"] == "20.00"
    page = admin_client.get(response.headers["Location"]).text
    table = page[page.index('id="tier-prices"') :]
    rows = re.findall(TIER_ROW, table)
    assert rows == [("No tier", "$9.99"), ("Free", "$9.99"), ("Pro", "$7.99"),
                    ("VIP Founder", "$9.99")]  # fmt: skip
    put_in_cart(session, "pro-paula", tts)
    cart = quoting.quote_cart(
        session, Shopper(user_id="pro-paula", tier="pro", anonymous_id=None), "pro-paula", None
    )
    assert cart.quote.lines[0].recurring_total == Decimal("7.99")
    listing = admin_client.get("/admin/pricing/?tier=pro").text
    assert tts.name in listing and ">20%</td>" in listing


def test_unknown_condition_keys_are_refused_with_the_known_ones(
    admin_client, session, add_ons, tiers
):
    tts = add_ons["unicorn-orator-tts"]

    response = admin_client.post(
        NEW, data=form(tts, conditions='{"min_quantity": 2, "weekday": "friday"}')
    )

    assert response.status_code == 422
    known = ", ".join(CONDITION_KEYS)
    assert f"Unknown condition weekday: the known ones are {known}." in response.text
    assert session.scalar(select(PricingRule)) is None


def test_bad_values_and_syntax_are_field_errors(admin_client, session, add_ons, tiers):
    tts = add_ons["unicorn-orator-tts"]

    shapes = admin_client.post(
        NEW, data=form(tts, conditions='{"min_quantity": 0, "requires_add_ons": "x"}')
    )
    syntax = admin_client.post(NEW, data=form(tts, conditions='{"min_quantity": }'))
    tier = admin_client.post(NEW, data=form(tts, tier_code="gold", discount_value="101"))

    assert shapes.status_code == 422
    assert "min_quantity must be a whole number, 1 or more." in shapes.text
    assert "requires_add_ons must be a list of add-on ids." in shapes.text
    assert syntax.status_code == 422 and "line 1, column" in syntax.text
    assert tier.status_code == 422 and "Not a valid choice" in tier.text
    assert "A percentage is more than 0 and at most 100." in tier.text
    assert session.scalar(select(PricingRule)) is None


def test_a_rule_for_every_tier_with_a_condition_applies_when_it_holds(
    admin_client, session, add_ons, tiers
):
    tts, stt = add_ons["unicorn-orator-tts"], add_ons["amanuensis-stt"]
    conditions = f'{{"requires_add_ons": ["{stt.id}"]}}'

    response = admin_client.post(
        NEW, data=form(tts, tier_code="", discount_kind="amount", discount_value="2.00",
                       conditions=conditions),
    )  # fmt: skip

    assert response.status_code == 303
    put_in_cart(session, "anyone", tts, stt)
    cart = quoting.quote_cart(session, Shopper(user_id="anyone", tier=None, anonymous_id=None),
                              "anyone", None)  # fmt: skip
    line = next(line for line in cart.quote.lines if line.add_on_id == tts.id)
    assert line.tier_discount == Decimal("2.00")


def test_edit_saves_and_a_concurrent_edit_is_refused(admin_client, session, add_ons, tiers):
    tts = add_ons["unicorn-orator-tts"]
    admin_client.post(NEW, data=form(tts))
    rule = session.scalar(select(PricingRule))

    def loaded(**changes):
        page = admin_client.get(f"/admin/pricing/{rule.id}").text
        token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
        return {**form(tts), "token": token, **changes}

    first, second = loaded(priority="9"), loaded(discount_value="50")
    saved = admin_client.post(f"/admin/pricing/{rule.id}", data=first)
    refused = admin_client.post(f"/admin/pricing/{rule.id}", data=second)

    session.refresh(rule)
    assert saved.status_code == 303 and rule.priority == 9
    assert refused.status_code == 409 and "changed by someone else" in refused.text
    assert rule.discount_percent == Decimal("20.00")
    entry = session.scalar(
        select(AdminAuditEntry).where(AdminAuditEntry.action == "pricing_rule.update")
    )
    assert (entry.before, entry.after) == ({"priority": 5}, {"priority": 9})


def test_the_list_filters_by_add_on(admin_client, session, add_ons, tiers):
    tts, stt = add_ons["unicorn-orator-tts"], add_ons["amanuensis-stt"]
    admin_client.post(NEW, data=form(tts))
    admin_client.post(NEW, data=form(stt, tier_code="free"))

    page = admin_client.get(f"/admin/pricing/?add_on={stt.id}").text
    results = page[page.index('id="rule-results"') :]

    assert stt.name in results and tts.name not in results
    assert admin_client.get("/admin/pricing/?add_on=nope").status_code == 400
