"""What the deployment guide names, as the tests expect to find it.

Plain data, no database and no app: the unit tests turn it into pricing-engine inputs
(`tests/unit/pricing/catalogue.py`), the integration tests into rows (`tests/fixtures/catalog.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

# The guide's 8 tables, as the guide names them: written out here, not taken from
# marketplace.models.MARKETPLACE_TABLES, so the schema tests hold the migrations to the guide
# rather than to the code's own list.
GUIDE_TABLES = frozenset({
    "add_ons", "add_on_bundles", "add_on_features", "add_on_purchases",
    "cart_items", "pricing_rules", "promotional_codes", "user_add_ons",
})  # fmt: skip
PLATFORM_TABLES = frozenset({"subscription_tiers", "feature_definitions"})


def slug_of(name: str) -> str:
    """The storefront slug of an add-on name: "Unicorn Orator - TTS" -> "unicorn-orator-tts"."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).lower().strip("-")


@dataclass(frozen=True)
class GuideAddOn:
    """One of the guide's add-ons (all billed monthly); `key` is the tests' short name."""

    key: str
    name: str
    category: str
    price: Decimal
    features: tuple[str, ...]
    description: str
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return slug_of(self.name)


@dataclass(frozen=True)
class GuideBundle:
    key: str
    name: str
    discount_percent: Decimal
    add_on_keys: tuple[str, ...]


@dataclass(frozen=True)
class GuidePromoCode:
    """A promo code; `days` is how long from now it stays valid."""

    code: str
    discount_type: str
    discount_value: Decimal
    max_uses: int | None
    days: int
    user_restrictions: Mapping[str, Any] | None = None

    def terms(self, now: datetime) -> dict[str, Any]:
        """The code's terms as keyword arguments, expiring `days` after `now`."""
        return {
            "code": self.code,
            "discount_type": self.discount_type,
            "discount_value": self.discount_value,
            "max_uses": self.max_uses,
            "expires_at": now + timedelta(days=self.days),
        }


# The guide's 9 add-ons, in its (display) order.
GUIDE_ADD_ONS = (
    GuideAddOn(
        "tts",
        "Unicorn Orator - TTS",
        "ai-services",
        Decimal("9.99"),
        ("tts_neural_voices", "tts_languages", "tts_ssml", "tts_audio_export"),
        "Turn text into natural speech with neural voices in 30 languages.",
        {"languages": 30, "ssml": True, "voice_count": 120},
    ),
    GuideAddOn(
        "stt",
        "Amanuensis - STT",
        "ai-services",
        Decimal("9.99"),
        ("stt_accuracy", "stt_speaker_diarization", "stt_realtime"),
        "Transcribe meetings and calls with 95% accuracy.",
        {"accuracy": "95%"},
    ),
    GuideAddOn(
        "brigade",
        "Brigade - Agent Platform",
        "ai-services",
        Decimal("19.99"),
        ("agents", "agent_orchestration", "agent_monitoring"),
        "Run ten cooperating agents with orchestration and monitoring.",
        {"agents": 10},
    ),
    GuideAddOn(
        "bolt",
        "Bolt - AI Dev Environment",
        "development",
        Decimal("14.99"),
        ("code_generation", "gpu_hours", "docker", "ci_cd"),
        "An AI development environment with code generation and Docker.",
    ),
    GuideAddOn(
        "presenton",
        "Presenton - Presentations",
        "productivity",
        Decimal("9.99"),
        ("ai_slides", "slide_templates", "slide_exports"),
        "Generate slide decks from an outline.",
        {"templates": 100},
    ),
    GuideAddOn(
        "center_deep",
        "Center-Deep Pro",
        "analytics",
        Decimal("19.99"),
        ("semantic_search", "vector_embeddings"),
        "Semantic search across your company knowledge.",
    ),
    GuideAddOn(
        "documents",
        "Document Processing Suite",
        "productivity",
        Decimal("12.99"),
        ("ocr", "document_pages", "document_languages"),
        "Extract text from scanned invoices and contracts.",
        {"pages_per_month": 5000},
    ),
    GuideAddOn(
        "vector_search",
        "Vector Search Engine",
        "infrastructure",
        Decimal("14.99"),
        ("vector_storage", "vector_queries"),
        "Store a million vectors and query them in under 10 ms.",
        {"vectors": 1_000_000},
    ),
    GuideAddOn(
        "gpu",
        "GPU Compute Access",
        "infrastructure",
        Decimal("49.99"),
        ("gpu_a100", "gpu_h100", "gpu_hours"),
        "On-demand A100 and H100 GPUs.",
        {"gpu_hours": 50, "gpus": ["A100", "H100"]},
    ),
)

# The guide's 3 bundles, in display order.
GUIDE_BUNDLES = (
    GuideBundle(
        "ai_productivity", "AI Productivity Bundle", Decimal("15"), ("tts", "stt", "presenton")
    ),
    GuideBundle(
        "developer_pro", "Developer Pro Bundle", Decimal("20"), ("brigade", "bolt", "vector_search")
    ),
    GuideBundle(
        "enterprise", "Enterprise Suite", Decimal("25"), tuple(a.key for a in GUIDE_ADD_ONS)
    ),
)

# The guide's 4 promo codes.
GUIDE_PROMO_CODES = (
    GuidePromoCode("LAUNCH2025", "percentage", Decimal("20"), 100, 30),
    GuidePromoCode(
        "FIRSTBUY", "percentage", Decimal("15"), None, 90, {"first_purchase_only": True}
    ),
    GuidePromoCode("FRIEND50", "fixed_amount", Decimal("5.00"), 1000, 60),
    GuidePromoCode("VIP2025", "percentage", Decimal("30"), 50, 365, {"tier": "vip_founder"}),
)
