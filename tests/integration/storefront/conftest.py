"""A seeded storefront: the guide's add-ons (`add_ons`) with feature rows, its 3 bundles with an
expired and an inactive one, and 20 more add-ons to page through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from marketplace.models import AddOn, AddOnBundle, AddOnFeature, FeatureDefinition
from tests.fixtures.catalog import guide_bundles


@pytest.fixture
def feature_rows(session, add_ons) -> None:
    """TTS's add_on_features rows, two of them with a platform feature definition."""
    tts = add_ons["unicorn-orator-tts"]
    session.add_all(
        [
            FeatureDefinition(key="tts_neural_voices", name="Neural voices"),
            FeatureDefinition(key="tts_languages", name="Speech in 30 languages"),
            AddOnFeature(
                add_on_id=tts.id,
                feature_key="tts_neural_voices",
                configuration={"voices": 120, "styles": 8},
            ),
            AddOnFeature(
                add_on_id=tts.id, feature_key="tts_languages", configuration={"languages": 30}
            ),
            AddOnFeature(
                add_on_id=tts.id,
                feature_key="tts_audio_export",
                configuration={"formats": ["mp3", "wav"]},
            ),
            AddOnFeature(add_on_id=tts.id, feature_key="tts_ssml", enabled=False),
        ]
    )
    session.flush()


def half_price_deal(name: str, members: list[AddOn], **columns) -> AddOnBundle:
    """A new 50%-off bundle of `members`, with its other columns as given."""
    return AddOnBundle(
        name=name,
        description=f"{name} description.",
        add_on_ids=[add_on.id for add_on in members],
        discount_percent=Decimal("50.00"),
        **columns,
    )


@pytest.fixture
def bundles(session, add_ons) -> dict[str, AddOnBundle]:
    """The guide's 3 bundles, plus an expired and an inactive one that must never show; by name."""
    now = datetime.now(UTC)
    noise = [
        half_price_deal(
            "Expired Voice Deal",
            [add_ons["unicorn-orator-tts"], add_ons["amanuensis-stt"]],
            display_order=1,
            valid_from=now - timedelta(days=30),
            valid_until=now - timedelta(days=1),
        ),
        half_price_deal(
            "Paused GPU Deal",
            [add_ons["gpu-compute-access"], add_ons["bolt-ai-dev-environment"]],
            display_order=2,
            is_active=False,
        ),
    ]
    rows = [*guide_bundles(add_ons).values(), *noise]
    session.add_all(rows)
    session.flush()
    return {bundle.name: bundle for bundle in rows}


@pytest.fixture
def many_add_ons(session, add_ons) -> None:
    """20 more active add-ons ("Widget 01" … "Widget 20", $1.00 … $20.00): 29 active in all."""
    for number in range(1, 21):
        session.add(
            AddOn(
                name=f"Widget {number:02d}",
                slug=f"widget-{number:02d}",
                category="development",
                base_price=Decimal(number),
                billing_type="annual",
                features=[f"widget_{number}"],
                description="A filler add-on.",
                meta={},
                display_order=1000 + number,
            )
        )
    session.flush()


@pytest.fixture
def csrf_client(csrf_app):
    return csrf_app.test_client()
