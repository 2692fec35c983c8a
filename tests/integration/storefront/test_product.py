"""Product page `/add-ons/<slug>`: features, facts, prices, bundles, add to cart, 404s."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest

from marketplace.models import PricingRule
from tests.fixtures.shoppers import sign_in


def test_product_page_shows_the_add_on(client, add_ons, feature_rows, bundles):
    response = client.get("/add-ons/unicorn-orator-tts")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<title>Unicorn Orator - TTS · Extensions Marketplace</title>" in html
    assert '<h1 id="product-title" class="product__title">Unicorn Orator - TTS</h1>' in html
    assert "Turn text into natural speech with neural voices in 30 languages." in html
    assert '<span class="price__amount">$9.99</span><span class="price__period">/mo</span>' in html


def test_features_with_their_configuration(client, add_ons, feature_rows):
    html = client.get("/add-ons/unicorn-orator-tts").get_data(as_text=True)
    features = re.findall(r'<h3 class="feature-detail__name">([^<]+)</h3>', html)

    # Enabled rows only, in the add-on's order; platform names where defined, readable keys
    # otherwise.
    assert features == ["Neural voices", "Speech in 30 languages", "Tts audio export"]
    assert "<dt>Formats</dt><dd>MP3, WAV</dd>" in html
    assert "<dt>Speaking styles</dt><dd>8</dd></div>" in html
    assert "<dt>Voices</dt><dd>120</dd>" in html
    assert "Tts ssml" not in html.split('id="features-title"')[1].split("</section>")[0]


def test_key_facts_from_metadata(client, add_ons):
    html = client.get("/add-ons/gpu-compute-access").get_data(as_text=True)

    assert "<dt>GPU hours per month</dt><dd>50</dd>" in html
    assert "<dt>GPUs</dt><dd>A100, H100</dd>" in html
    html = client.get("/add-ons/unicorn-orator-tts").get_data(as_text=True)
    assert "<dt>SSML</dt><dd>Yes</dd>" in html
    assert "<dt>Voices</dt><dd>120</dd>" in html
    assert "Voice count" not in html


def test_bundles_containing_it_with_their_saving(client, add_ons, bundles):
    html = client.get("/add-ons/presenton-presentations").get_data(as_text=True)
    section = html.split('id="bundles-title"')[1].split("</section>")[0]

    names = re.findall(r'class="bundle-mini__name"[^>]*>([^<]+)</a>', section)
    assert names == ["AI Productivity Bundle", "Enterprise Suite"]
    assert "Save $4.50" in section
    assert "Save $40.73" in section  # 25% of $162.91, rounded half up
    assert "Expired Voice Deal" not in html


def test_add_to_cart_with_a_quantity(client, add_ons):
    html = client.get("/add-ons/vector-search-engine").get_data(as_text=True)
    add_on = add_ons["vector-search-engine"]

    assert 'method="post" action="/cart/items"' in html
    assert f'name="add_on_id" value="{add_on.id}"' in html
    assert (
        f'<input class="input input--quantity" type="number" id="quantity-{add_on.id}" '
        'name="quantity"\n           value="1" min="1" max="100"'
    ) in html
    assert f'<label for="quantity-{add_on.id}">Quantity</label>' in html


def test_no_tier_price_for_an_anonymous_shopper(client, add_ons):
    html = client.get("/add-ons/gpu-compute-access").get_data(as_text=True)

    assert "Your price" not in html
    assert "Billed per month." in html


# A NUL byte (bad%00slug) is a 400 before the view: tests/integration/hardening/test_nul_bytes.py
@pytest.mark.parametrize(
    "slug", ["no-such-add-on", "retired-voice-pack", "UNICORN-ORATOR-TTS", "bad slug", "x" * 300]
)
def test_unknown_inactive_or_malformed_slug_is_404(client, add_ons, slug):
    response = client.get(f"/add-ons/{slug}")
    html = response.get_data(as_text=True)

    assert response.status_code == 404
    assert '<h1 id="error-title" class="error-page__title">Not Found</h1>' in html
    assert "This add-on does not exist or is no longer available." in html
    assert 'href="/">Browse add-ons</a>' in html


def test_404_for_htmx_is_the_message_alone(client, add_ons):
    response = client.get("/add-ons/nope", headers={"HX-Request": "true"})

    assert response.status_code == 404
    assert response.get_data(as_text=True).startswith('<div class="alert alert--error"')


def test_a_shopper_on_a_tier_sees_their_price(client, add_ons, session):
    gpu = add_ons["gpu-compute-access"]
    session.add(PricingRule(add_on_id=gpu.id, tier_code="pro", discount_percent=Decimal("10")))
    session.commit()
    sign_in(client, "pro-user", tier="pro")

    html = client.get("/add-ons/gpu-compute-access").get_data(as_text=True)
    saving = (gpu.base_price / 10).quantize(Decimal("0.01"), ROUND_HALF_UP)

    assert "Your price on Pro" in html
    assert f"You save ${saving} per month with your plan." in html
