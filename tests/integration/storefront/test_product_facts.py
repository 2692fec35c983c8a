"""The product pages of the seeded catalog (`flask seed`) speak to people: labels instead of
internal keys, no filler, units where known, each fact once, and the title before the price."""

from __future__ import annotations

import re

import pytest

from marketplace.cli import seed_data
from marketplace.cli.seed import seed_catalog
from marketplace.models import AddOn
from marketplace.models.base import utcnow
from marketplace.models.catalog import slugify

SLUGS = [slugify(add_on["name"]) for add_on in seed_data.ADD_ONS]


@pytest.fixture
def seeded(session):
    seed_catalog(session, utcnow())
    session.commit()


def product_html(client, slug: str) -> str:
    response = client.get(f"/add-ons/{slug}")
    assert response.status_code == 200
    html = response.text
    return html[html.index('<article class="product"') : html.rindex("</article>")]


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def facts_of(html: str) -> list[tuple[str, str]]:
    return re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html)


@pytest.mark.parametrize("slug", SLUGS)
def test_no_internal_key_and_no_filler_on_a_seeded_product_page(client, seeded, slug):
    html = product_html(client, slug)
    text = text_of(html)

    assert re.findall(r"\b[a-z0-9]+_[a-z0-9_]+\b", text) == []  # no snake_case keys
    assert "included with" not in text
    assert "<code>" not in html


@pytest.mark.parametrize("slug", SLUGS)
def test_each_fact_is_stated_once(client, seeded, slug):
    html = product_html(client, slug)
    more = html.split('<h3 class="panel__subtitle">', 1)
    features_part = more[0]
    extra = facts_of(more[1]) if len(more) > 1 else []

    feature_labels = {label for label, _value in facts_of(features_part)}
    assert not {label for label, _value in extra} & feature_labels
    for feature in re.findall(r'<li class="feature-detail">.*?</li>', features_part, re.S):
        labels = [label for label, _value in facts_of(feature)]
        assert len(labels) == len(set(labels))


def test_the_text_to_speech_page_in_peoples_words(client, seeded):
    html = product_html(client, "unicorn-orator-tts")
    facts = facts_of(html)

    features = re.findall(r'<h3 class="feature-detail__name">([^<]+)</h3>', html)
    assert features == [
        "Neural voices",
        "Speech in 30 languages",
        "SSML markup",
        "Audio export",
        "Monthly characters",
    ]
    assert ("Sample rate", "48 kHz") in facts
    assert ("SSML version", "1.1") in facts
    assert ("Formats", "MP3, WAV, OGG") in facts
    assert ("Characters per month", "1,000,000") in facts
    # The metadata's "voices: neural", "voice_count: 120", "ssml: true", "languages: 30" and
    # "characters_per_month" repeat what the features state: shown once, from the features.
    assert [value for label, value in facts if label == "Voices"] == ["120"]
    assert "Voice count" not in html and "neural</dd>" not in html.lower()
    assert '<h3 class="panel__subtitle">' not in html


def test_units_and_limits_read_naturally(client, seeded):
    stt = facts_of(product_html(client, "amanuensis-stt"))
    assert ("Word accuracy", "95%") in stt
    assert ("Latency", "300 ms") in stt
    assert ("Speakers told apart", "Up to 10") in stt
    bolt = facts_of(product_html(client, "bolt-ai-dev-environment"))
    assert ("Storage", "50 GB") in bolt
    assert ("Languages", "Python, TypeScript, Go, Rust, Java") in bolt
    vectors = facts_of(product_html(client, "vector-search-engine"))
    assert ("Vectors", "Up to 1,000,000") in vectors
    assert ("Keyword ranking", "BM25") in vectors


def test_metadata_only_a_feature_doesnt_state_is_shown_with_a_readable_fallback(
    client, seeded, session
):
    add_on = session.query(AddOn).filter_by(slug="center-deep-pro").one()
    add_on.meta = {**add_on.meta, "max_widgets": 5, "icon": "radar"}
    session.commit()

    html = product_html(client, "center-deep-pro")

    more = facts_of(html.split('<h3 class="panel__subtitle">Also</h3>', 1)[1])
    assert more == [("Max widgets", "5")]  # sources, dimensions and flags are covered; no icon


def test_the_title_comes_before_the_price_box_in_the_page(client, seeded):
    html = product_html(client, "gpu-compute-access")

    title = html.index('<h1 id="product-title"')
    assert title < html.index('<aside class="product__buy"') < html.index('id="features-title"')


def test_a_one_time_add_on_is_not_billed_periodically(client, seeded, session):
    add_on = session.query(AddOn).filter_by(slug="document-processing-suite").one()
    add_on.billing_type = "one_time"
    session.commit()

    text = text_of(product_html(client, "document-processing-suite"))

    assert "One-time payment: it's yours for good." in text
    assert "Billed one-time" not in text and "Cancel any time" not in text
