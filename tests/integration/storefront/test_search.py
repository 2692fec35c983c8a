"""Catalog search on the seeded shop: what it reads, stemming, prefixes, ranking, odd input,
and the triggers that keep `search_document` current (at 10k add-ons: test_search_at_scale.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from marketplace.catalog.search import search_words
from marketplace.cli.seed import seed_catalog
from marketplace.models import AddOn, AddOnFeature, FeatureDefinition
from tests.integration.storefront.pages import slugs_in


@pytest.fixture
def shop(session) -> dict[str, AddOn]:
    """The seed catalog `flask seed` loads (feature rows and platform names included)."""
    seed_catalog(session, datetime.now(UTC))
    session.flush()
    return {add_on.slug: add_on for add_on in session.scalars(select(AddOn))}


def found(client, q: str, **params: str) -> list[str]:
    response = client.get("/", query_string={"q": q, **params})
    assert response.status_code == 200
    return slugs_in(response.get_data(as_text=True))


def test_a_feature_name_is_searchable(client, shop):
    # Amanuensis lists "Monthly transcription hours"; its description says "transcribes".
    assert found(client, "transcription") == ["amanuensis-stt"]


def test_words_are_stemmed(client, shop):
    assert found(client, "transcribe") == ["amanuensis-stt"]
    assert found(client, "spreadsheet") == found(client, "spreadsheets")
    assert found(client, "spreadsheet") == ["document-processing-suite"]


def test_a_single_letter_finds_what_starts_with_it(client, shop):
    slugs = found(client, "a")

    # "a" is an English stop word; as a prefix it finds Amanuensis, Agent, AI, Access…
    assert slugs[0] == "amanuensis-stt"
    names = {shop[slug].name for slug in slugs[:4]}
    assert names == {
        "Amanuensis - STT",
        "Brigade - Agent Platform",
        "Bolt - AI Dev Environment",
        "GPU Compute Access",
    }


def test_the_last_word_is_a_prefix(client, shop):
    assert found(client, "neural voi") == ["unicorn-orator-tts"]
    assert found(client, "orch") == ["brigade-agent-platform"]


def test_a_name_match_ranks_before_a_description_match(client, shop):
    # "Vector Search Engine" has it in its name; Center-Deep Pro only further down its text.
    assert found(client, "vector")[0] == "vector-search-engine"
    assert found(client, "search")[:2] == ["vector-search-engine", "center-deep-pro"]


def test_an_explicit_sort_still_orders_the_matches(client, shop):
    assert found(client, "vector", sort="name") == sorted(
        found(client, "vector"), key=lambda slug: shop[slug].name
    )


def test_categories_are_searchable(client, shop):
    assert found(client, "infrastructure") == ["gpu-compute-access", "vector-search-engine"]
    assert "center-deep-pro" in found(client, "analytics")


@pytest.mark.parametrize(
    "q",
    [
        '"neural voices"',
        "voice & | ! ( ) : * <->",
        "a:* | !b",
        "'; DROP TABLE add_ons; --",
        "\\",
        "café ☃ 日本語 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "x" * 200,
        " ".join(["voice"] * 40)[:200],
        "_ _ _",
    ],
)
def test_any_text_is_answered_not_an_error(client, shop, q):
    response = client.get("/", query_string={"q": q})

    assert response.status_code == 200
    assert "add-on" in response.get_data(as_text=True)


def test_search_words_keep_letters_and_digits_only():
    assert search_words("Neural  VOI") == ["neural", "voi"]
    assert search_words("tts_neural-voices! mp3") == ["tts", "neural", "voices", "mp3"]
    assert search_words("'&|:*()<->") == []
    assert len(search_words("a b c d e f g h i j")) == 8


def test_feature_and_name_changes_reach_the_search(client, session, shop):
    tts = shop["unicorn-orator-tts"]
    assert found(client, "teleportation") == []

    session.add(FeatureDefinition(key="tts_teleport", name="Voice teleportation"))
    session.add(AddOnFeature(add_on_id=tts.id, feature_key="tts_teleport"))
    session.flush()
    assert found(client, "teleportation") == ["unicorn-orator-tts"]

    session.execute(
        text("UPDATE feature_definitions SET name = 'Voice beaming' WHERE key = 'tts_teleport'")
    )
    assert found(client, "teleportation") == []
    assert found(client, "beaming") == ["unicorn-orator-tts"]

    session.execute(
        text("UPDATE add_on_features SET enabled = false WHERE feature_key = 'tts_teleport'")
    )
    assert found(client, "beaming") == []

    session.execute(
        text("UPDATE add_ons SET name = 'Unicorn Orator Deluxe' WHERE id = :id"), {"id": tts.id}
    )
    assert found(client, "deluxe") == ["unicorn-orator-tts"]
