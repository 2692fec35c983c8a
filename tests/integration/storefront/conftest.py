"""A seeded storefront: the guide's 9 add-ons with features, and its 3 bundles (+ noise)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from marketplace.extensions import db
from marketplace.models import AddOn, AddOnBundle, AddOnFeature, FeatureDefinition

# name, category, price, features (keys), description, metadata
GUIDE_ADD_ONS = [
    (
        "Unicorn Orator - TTS",
        "ai-services",
        "9.99",
        ["tts_neural_voices", "tts_languages", "tts_ssml", "tts_audio_export"],
        "Turn text into natural speech with neural voices in 30 languages.",
        {"languages": 30, "ssml": True, "voice_count": 120},
    ),
    (
        "Amanuensis - STT",
        "ai-services",
        "9.99",
        ["stt_accuracy", "stt_speaker_diarization", "stt_realtime"],
        "Transcribe meetings and calls with 95% accuracy.",
        {"accuracy": "95%"},
    ),
    (
        "Brigade - Agent Platform",
        "ai-services",
        "19.99",
        ["agents", "agent_orchestration", "agent_monitoring"],
        "Run ten cooperating agents with orchestration and monitoring.",
        {"agents": 10},
    ),
    (
        "Bolt - AI Dev Environment",
        "development",
        "14.99",
        ["code_generation", "gpu_hours", "docker", "ci_cd"],
        "An AI development environment with code generation and Docker.",
        {},
    ),
    (
        "Presenton - Presentations",
        "productivity",
        "9.99",
        ["ai_slides", "slide_templates", "slide_exports"],
        "Generate slide decks from an outline.",
        {"templates": 100},
    ),
    (
        "Center-Deep Pro",
        "analytics",
        "19.99",
        ["semantic_search", "vector_embeddings"],
        "Semantic search across your company knowledge.",
        {},
    ),
    (
        "Document Processing Suite",
        "productivity",
        "12.99",
        ["ocr", "document_pages", "document_languages"],
        "Extract text from scanned invoices and contracts.",
        {"pages_per_month": 5000},
    ),
    (
        "Vector Search Engine",
        "infrastructure",
        "14.99",
        ["vector_storage", "vector_queries"],
        "Store a million vectors and query them in under 10 ms.",
        {"vectors": 1_000_000},
    ),
    (
        "GPU Compute Access",
        "infrastructure",
        "49.99",
        ["gpu_a100", "gpu_h100", "gpu_hours"],
        "On-demand A100 and H100 GPUs.",
        {"gpu_hours": 50, "gpus": ["A100", "H100"]},
    ),
]


def slug_of(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).lower().strip("-")


@pytest.fixture
def catalog(session) -> dict[str, AddOn]:
    """The guide's 9 add-ons (display order as listed), an inactive one; by slug."""
    add_ons = {}
    for order, (name, category, price, features, description, meta) in enumerate(GUIDE_ADD_ONS):
        add_on = AddOn(
            name=name,
            slug=slug_of(name),
            category=category,
            base_price=Decimal(price),
            billing_type="monthly",
            features=features,
            description=description,
            meta=meta,
            display_order=(order + 1) * 10,
        )
        session.add(add_on)
        add_ons[add_on.slug] = add_on
    retired = AddOn(
        name="Retired Voice Pack",
        slug="retired-voice-pack",
        category="ai-services",
        base_price=Decimal("4.99"),
        billing_type="monthly",
        features=["tts_neural_voices"],
        description="No longer sold.",
        meta={},
        is_active=False,
    )
    session.add(retired)
    add_ons[retired.slug] = retired
    session.flush()
    return add_ons


@pytest.fixture
def feature_rows(session, catalog) -> None:
    """TTS's add_on_features rows, two of them with a platform feature definition."""
    tts = catalog["unicorn-orator-tts"]
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


def _bundle(catalog, name, slugs, percent, order, **extra) -> AddOnBundle:
    return AddOnBundle(
        name=name,
        description=f"{name} description.",
        add_on_ids=[catalog[slug].id for slug in slugs],
        discount_percent=Decimal(percent),
        display_order=order,
        **extra,
    )


@pytest.fixture
def bundles(session, catalog) -> dict[str, AddOnBundle]:
    """The guide's 3 bundles, plus an expired and an inactive one that must never show."""
    now = datetime.now(UTC)
    guide = [slug for slug in catalog if slug != "retired-voice-pack"]
    rows = [
        _bundle(
            catalog,
            "AI Productivity Bundle",
            ["unicorn-orator-tts", "amanuensis-stt", "presenton-presentations"],
            "15.00",
            10,
        ),
        _bundle(
            catalog,
            "Developer Pro Bundle",
            ["brigade-agent-platform", "bolt-ai-dev-environment", "vector-search-engine"],
            "20.00",
            20,
        ),
        _bundle(catalog, "Enterprise Suite", guide, "25.00", 30),
        _bundle(
            catalog,
            "Expired Voice Deal",
            ["unicorn-orator-tts", "amanuensis-stt"],
            "50.00",
            1,
            valid_from=now - timedelta(days=30),
            valid_until=now - timedelta(days=1),
        ),
        _bundle(
            catalog,
            "Paused GPU Deal",
            ["gpu-compute-access", "bolt-ai-dev-environment"],
            "50.00",
            2,
            is_active=False,
        ),
    ]
    session.add_all(rows)
    session.flush()
    return {bundle.name: bundle for bundle in rows}


@pytest.fixture
def many_add_ons(session, catalog) -> None:
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
def count_queries(app):
    """Count the SQL statements run while the block runs (savepoints excluded)."""

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                statements.append(statement)

        connection = db.engines[None]
        event.listen(connection, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(connection, "before_cursor_execute", record)

    return counting


@pytest.fixture
def csrf_client(csrf_app):
    return csrf_app.test_client()


def card_html(html: str, slug: str) -> str:
    """The markup of one catalog card."""
    start = html.index(f'data-add-on="{slug}"')
    return html[start : html.index("</article>", start)]


def slugs_in(html: str) -> list[str]:
    """The add-on cards of a catalog page, in order."""
    return re.findall(r'data-add-on="([^"]+)"', html)
