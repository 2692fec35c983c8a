"""The product facts table and merge (marketplace.catalog.facts): pure data in and out."""

from __future__ import annotations

from marketplace.catalog.facts import FACTS, Fact, fact_value, humanise, label, product_facts


def test_unknown_keys_are_humanised():
    assert humanise("max_widgets") == "Max widgets"
    assert label("max_widgets") == "Max widgets"
    assert label("max_sample_rate_hz") == "Sample rate"


def test_values_get_units_and_limits():
    assert fact_value(48000, _spec("max_sample_rate_hz")) == "48 kHz"
    assert fact_value(22050, _spec("max_sample_rate_hz")) == "22.05 kHz"
    assert fact_value(10, _spec("max_agents")) == "Up to 10"
    assert fact_value(95, _spec("word_accuracy_percent")) == "95%"
    assert fact_value(["mp3", "wav"], _spec("formats")) == "MP3, WAV"
    assert fact_value(True) == "Yes" and fact_value(False) == "No"
    assert fact_value(1_000_000) == "1,000,000"
    assert fact_value({"max_widgets": 2}) == "Max widgets: 2"


def test_configuration_wins_over_metadata_and_flags_named_by_a_feature_are_covered():
    facts = product_facts(
        [("tts_neural_voices", "Neural voices", {"voices": 120}), ("tts_ssml", "SSML markup", {})],
        {"voices": "neural", "voice_count": 120, "ssml": True, "offline": True, "icon": "mic"},
        order=["tts_ssml", "tts_neural_voices"],
    )

    assert [feature.name for feature in facts.features] == ["SSML markup", "Neural voices"]
    assert facts.features[1].facts == (Fact("Voices", "120"),)
    assert facts.more == (Fact("Offline", "Yes"),)


def _spec(key):
    return FACTS[key]
