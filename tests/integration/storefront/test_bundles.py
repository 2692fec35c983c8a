"""Bundles page `/bundles`: live bundles, their add-ons and prices from the pricing engine."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from marketplace.bundles.queries import bundles_containing
from tests.integration.storefront.pages import bundle_html, bundle_names, htmx_form_markup


def bundles_page(client) -> str:
    """The HTML of `/bundles`."""
    return client.get("/bundles").get_data(as_text=True)


def test_live_bundles_in_display_order(client, bundles):
    html = bundles_page(client)

    assert bundle_names(html) == [
        "AI Productivity Bundle",
        "Developer Pro Bundle",
        "Enterprise Suite",
    ]


def test_guide_bundle_prices_and_savings(client, bundles):
    html = bundles_page(client)
    ai = bundle_html(html, "AI Productivity Bundle")
    dev = bundle_html(html, "Developer Pro Bundle")
    suite = bundle_html(html, "Enterprise Suite")

    assert '<dd class="bundle__original"><s>$29.97</s></dd>' in ai
    assert '<span class="price__amount">$25.47</span><span class="price__period">/mo' in ai
    assert '<dd class="bundle__saving">$4.50</dd>' in ai
    assert "Save 15%" in ai
    assert '<dd class="bundle__original"><s>$49.97</s></dd>' in dev
    assert '<span class="price__amount">$39.98</span>' in dev
    assert '<dd class="bundle__saving">$9.99</dd>' in dev
    assert '<dd class="bundle__original"><s>$162.91</s></dd>' in suite
    assert '<span class="price__amount">$122.18</span>' in suite
    assert '<dd class="bundle__saving">$40.73</dd>' in suite


def test_each_bundle_lists_its_add_ons(client, bundles):
    ai = bundle_html(bundles_page(client), "AI Productivity Bundle")

    assert re.findall(r'<a href="/add-ons/([^"]+)">', ai) == [
        "unicorn-orator-tts",
        "amanuensis-stt",
        "presenton-presentations",
    ]


def test_add_bundle_to_cart_form(client, bundles):
    html = bundles_page(client)
    bundle = bundles["Developer Pro Bundle"]

    form = htmx_form_markup("/cart/bundles", f"bundle-status-{bundle.id}", "bundle_id", bundle.id)
    for markup in form:
        assert markup in html


def test_bundle_with_a_withdrawn_add_on_is_not_offered(client, session, add_ons, bundles):
    add_ons["presenton-presentations"].is_active = False
    session.flush()

    html = bundles_page(client)
    assert bundle_names(html) == ["Developer Pro Bundle"]


def test_no_bundles(client, add_ons):
    html = bundles_page(client)

    assert "No bundles on offer right now" in html


def test_bundles_page_query_count(client, bundles, count_queries):
    with count_queries() as statements:
        assert client.get("/bundles").status_code == 200

    assert 2 <= len(statements) <= 3, statements


def test_bundles_containing(session, add_ons, bundles):
    stt, gpu = add_ons["amanuensis-stt"].id, add_ons["gpu-compute-access"].id

    assert [b.name for b in bundles_containing(session, [stt])] == [
        "AI Productivity Bundle",
        "Enterprise Suite",
    ]
    assert [b.name for b in bundles_containing(session, [gpu])] == ["Enterprise Suite"]
    assert bundles_containing(session, []) == []
    later = datetime.now(UTC) - timedelta(days=10)
    # At a time inside its window, the expired bundle was live.
    assert [b.name for b in bundles_containing(session, [stt], now=later)] == [
        "Expired Voice Deal",
        "AI Productivity Bundle",
        "Enterprise Suite",
    ]
