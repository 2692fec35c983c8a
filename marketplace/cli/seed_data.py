"""The seed catalog of the deployment guide, as plain data (no database, no Flask).

Add-ons, bundles and pricing rules refer to add-ons by name; `seed.py` turns names into slugs
(`marketplace.models.catalog.slugify`) and slugs into ids. Prices are Decimal strings, exactly
as the guide's "Pre-configured Add-ons" table; promo expiries are days from the seed time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

TIERS: list[dict[str, Any]] = [
    {
        "code": "free",
        "name": "Free",
        "description": "Core platform access for individuals trying things out.",
        "monthly_price": Decimal("0.00"),
        "sort_order": 10,
    },
    {
        "code": "starter",
        "name": "Starter",
        "description": "For individuals and small projects that need more usage.",
        "monthly_price": Decimal("19.00"),
        "sort_order": 20,
    },
    {
        "code": "professional",
        "name": "Professional",
        "description": "For teams in production: higher limits and tier discounts on add-ons.",
        "monthly_price": Decimal("49.00"),
        "sort_order": 30,
    },
    {
        "code": "enterprise",
        "name": "Enterprise",
        "description": "For organisations: the best add-on pricing, SSO and priority support.",
        "monthly_price": Decimal("199.00"),
        "sort_order": 40,
    },
    {
        "code": "vip_founder",
        "name": "VIP Founder",
        "description": "Founding members: Professional limits at a price locked in for life.",
        "monthly_price": Decimal("29.00"),
        "sort_order": 50,
    },
]

# Each add-on: its row in `add_ons` (`metadata.icon` names its Lucide icon in static/icons), and
# its `add_on_features` rows as (feature key, name, configuration). The add-on's `features`
# array lists the same keys, in this order.
ADD_ONS: list[dict[str, Any]] = [
    {
        "name": "Unicorn Orator - TTS",
        "category": "ai-services",
        "base_price": Decimal("9.99"),
        "description": (
            "Turn text into natural speech with neural voices in 30 languages. Fine-tune "
            "pronunciation, pauses and emphasis with SSML, and export studio-quality audio "
            "for podcasts, videos, IVR menus and accessible apps."
        ),
        "metadata": {
            "icon": "audio-lines",
            "languages": 30,
            "voices": "neural",
            "voice_count": 120,
            "ssml": True,
            "characters_per_month": 1_000_000,
        },
        "features": [
            ("tts_neural_voices", "Neural voices", {"voices": 120, "styles": 8}),
            ("tts_languages", "Speech in 30 languages", {"languages": 30}),
            ("tts_ssml", "SSML markup", {"ssml_version": "1.1", "custom_lexicons": True}),
            (
                "tts_audio_export",
                "Audio export",
                {"formats": ["mp3", "wav", "ogg"], "max_sample_rate_hz": 48000},
            ),
            ("tts_characters", "Monthly characters", {"characters_per_month": 1_000_000}),
        ],
    },
    {
        "name": "Amanuensis - STT",
        "category": "ai-services",
        "base_price": Decimal("9.99"),
        "description": (
            "Accurate speech-to-text for meetings, calls and media. Amanuensis reaches 95% "
            "word accuracy, tells speakers apart with diarization, and transcribes live "
            "streams in real time or uploaded recordings in batch."
        ),
        "metadata": {
            "icon": "mic",
            "accuracy_percent": 95,
            "diarization": True,
            "realtime": True,
            "hours_per_month": 50,
        },
        "features": [
            ("stt_accuracy", "95% word accuracy", {"word_accuracy_percent": 95}),
            ("stt_diarization", "Speaker diarization", {"max_speakers": 10}),
            ("stt_realtime", "Real-time streaming", {"streaming": True, "latency_ms": 300}),
            ("stt_timestamps", "Word-level timestamps", {"granularity": "word"}),
            ("stt_hours", "Monthly transcription hours", {"hours_per_month": 50}),
        ],
    },
    {
        "name": "Brigade - Agent Platform",
        "category": "ai-services",
        "base_price": Decimal("19.99"),
        "description": (
            "Build, run and watch teams of AI agents. Brigade hosts up to 10 agents, "
            "orchestrates them in sequential, parallel or hierarchical workflows, and "
            "monitors every run with traces, costs and alerts."
        ),
        "metadata": {"icon": "bot", "max_agents": 10, "orchestration": True, "monitoring": True},
        "features": [
            ("brigade_agents", "Up to 10 agents", {"max_agents": 10}),
            (
                "brigade_orchestration",
                "Multi-agent orchestration",
                {"patterns": ["sequential", "parallel", "hierarchical"]},
            ),
            ("brigade_monitoring", "Run monitoring", {"retention_days": 30, "alerts": True}),
            ("brigade_tools", "Built-in tool integrations", {"builtin_tools": 25}),
            ("brigade_runs", "Monthly agent runs", {"runs_per_month": 10000}),
        ],
    },
    {
        "name": "Bolt - AI Dev Environment",
        "category": "development",
        "base_price": Decimal("14.99"),
        "description": (
            "A cloud development environment with an AI pair programmer. Generate and "
            "refactor code, run it on included GPU hours, work in Docker containers and "
            "ship through built-in CI/CD pipelines."
        ),
        "metadata": {"icon": "code-xml", "gpu_hours": 10, "docker": True, "ci_cd": True},
        "features": [
            (
                "bolt_code_generation",
                "AI code generation",
                {"languages": ["python", "typescript", "go", "rust", "java"]},
            ),
            ("bolt_gpu_hours", "Included GPU hours", {"hours_per_month": 10, "gpu_type": "T4"}),
            ("bolt_docker", "Docker workspaces", {"max_containers": 5, "storage_gb": 50}),
            ("bolt_ci_cd", "CI/CD pipelines", {"pipelines": 10, "minutes_per_month": 2000}),
            ("bolt_workspaces", "Cloud workspaces", {"max_workspaces": 3}),
        ],
    },
    {
        "name": "Presenton - Presentations",
        "category": "productivity",
        "base_price": Decimal("9.99"),
        "description": (
            "Go from an outline to a finished deck in minutes. Presenton writes and lays out "
            "slides with AI, offers 100 professional templates, and exports to PowerPoint, "
            "PDF and images."
        ),
        "metadata": {"icon": "presentation", "templates": 100, "exports": ["pptx", "pdf", "png"]},
        "features": [
            ("presenton_ai_slides", "AI slide generation", {"max_slides_per_deck": 50}),
            ("presenton_templates", "100 templates", {"templates": 100}),
            ("presenton_exports", "Exports", {"formats": ["pptx", "pdf", "png"]}),
            ("presenton_brand_kits", "Brand kits", {"brand_kits": 3}),
            ("presenton_collaboration", "Team collaboration", {"max_collaborators": 10}),
        ],
    },
    {
        "name": "Center-Deep Pro",
        "category": "analytics",
        "base_price": Decimal("19.99"),
        "description": (
            "Search and analyse your organisation's knowledge by meaning, not keywords. "
            "Center-Deep Pro indexes your sources as vector embeddings and answers semantic "
            "queries with ranked, cited results and scheduled reports."
        ),
        "metadata": {
            "icon": "scan-search",
            "semantic_search": True,
            "embedding_dimensions": 1024,
            "sources": 20,
        },
        "features": [
            ("center_deep_semantic_search", "Semantic search", {"queries_per_month": 50000}),
            ("center_deep_embeddings", "Vector embeddings", {"dimensions": 1024}),
            ("center_deep_sources", "Connected sources", {"max_sources": 20}),
            ("center_deep_reports", "Scheduled reports", {"scheduled_reports": 10}),
            ("center_deep_api", "Search API", {"requests_per_minute": 600}),
        ],
    },
    {
        "name": "Document Processing Suite",
        "category": "productivity",
        "base_price": Decimal("12.99"),
        "description": (
            "Extract text, tables and fields from scans, PDFs and photos. OCR in 50 "
            "languages handles up to 5,000 pages a month and returns structured data ready "
            "for spreadsheets, databases and search."
        ),
        "metadata": {"icon": "file-text", "pages_per_month": 5000, "languages": 50, "ocr": True},
        "features": [
            ("docs_ocr", "OCR", {"handwriting": True, "max_dpi": 600}),
            ("docs_pages", "Monthly pages", {"pages_per_month": 5000}),
            ("docs_languages", "50 languages", {"languages": 50}),
            ("docs_tables", "Table extraction", {"formats": ["csv", "xlsx", "json"]}),
            ("docs_forms", "Form field extraction", {"custom_templates": 20}),
        ],
    },
    {
        "name": "Vector Search Engine",
        "category": "infrastructure",
        "base_price": Decimal("14.99"),
        "description": (
            "A managed vector database for retrieval-augmented generation and "
            "recommendations. Store up to 1 million vectors and get nearest neighbours in "
            "under 10 ms, with metadata filters and hybrid keyword search."
        ),
        "metadata": {
            "icon": "database",
            "max_vectors": 1_000_000,
            "p95_query_ms": 10,
            "hybrid_search": True,
        },
        "features": [
            ("vector_capacity", "1M vectors", {"max_vectors": 1_000_000}),
            ("vector_low_latency", "Sub-10 ms queries", {"p95_query_ms": 10}),
            ("vector_hybrid_search", "Hybrid search", {"keyword_ranking": "bm25"}),
            ("vector_filtering", "Metadata filtering", {"max_filter_fields": 32}),
            ("vector_collections", "Collections", {"max_collections": 10}),
        ],
    },
    {
        "name": "GPU Compute Access",
        "category": "infrastructure",
        "base_price": Decimal("49.99"),
        "description": (
            "On-demand NVIDIA A100 and H100 GPUs for training, fine-tuning and inference. "
            "Includes 50 GPU hours a month, persistent storage and ready-made Jupyter and "
            "PyTorch images."
        ),
        "metadata": {"icon": "cpu", "gpu_types": ["A100", "H100"], "gpu_hours": 50},
        "features": [
            (
                "gpu_compute",
                "A100/H100 GPUs",
                {"gpu_types": ["A100", "H100"], "hours_per_month": 50},
            ),
            ("gpu_concurrency", "Concurrent GPUs", {"max_concurrent_gpus": 2}),
            ("gpu_storage", "Persistent storage", {"storage_gb": 200}),
            ("gpu_notebooks", "Jupyter notebooks", {"images": ["pytorch", "tensorflow", "jax"]}),
            ("gpu_priority_queue", "Priority scheduling", {"queue": "priority"}),
        ],
    },
]

PROMO_CODES: list[dict[str, Any]] = [
    {
        "code": "LAUNCH2025",
        "description": "Launch offer: 20% off your first payment.",
        "discount_type": "percentage",
        "discount_value": Decimal("20.00"),
        "max_uses": 100,
        "expires_in_days": 30,
        "user_restrictions": {},
    },
    {
        "code": "FIRSTBUY",
        "description": "15% off your first purchase.",
        "discount_type": "percentage",
        "discount_value": Decimal("15.00"),
        "max_uses": None,
        "expires_in_days": 90,
        "user_restrictions": {"first_purchase_only": True},
    },
    {
        "code": "FRIEND50",
        "description": "Referral reward: $5 off.",
        "discount_type": "fixed_amount",
        "discount_value": Decimal("5.00"),
        "max_uses": 1000,
        "expires_in_days": 60,
        "user_restrictions": {},
    },
    {
        "code": "VIP2025",
        "description": "VIP Founder members: 30% off.",
        "discount_type": "percentage",
        "discount_value": Decimal("30.00"),
        "max_uses": 50,
        "expires_in_days": 365,
        "user_restrictions": {"tier": "vip_founder"},
    },
]

BUNDLES: list[dict[str, Any]] = [
    {
        "name": "AI Productivity Bundle",
        "description": (
            "Speak, listen and present: text-to-speech, speech-to-text and AI presentations "
            "together for 15% less."
        ),
        "add_ons": ["Unicorn Orator - TTS", "Amanuensis - STT", "Presenton - Presentations"],
        "discount_percent": Decimal("15.00"),
    },
    {
        "name": "Developer Pro Bundle",
        "description": (
            "Agents, an AI development environment and a vector database: the builder's "
            "stack for 20% less."
        ),
        "add_ons": [
            "Brigade - Agent Platform",
            "Bolt - AI Dev Environment",
            "Vector Search Engine",
        ],
        "discount_percent": Decimal("20.00"),
    },
    {
        "name": "Enterprise Suite",
        "description": "Every add-on in the marketplace, 25% off.",
        "add_ons": [add_on["name"] for add_on in ADD_ONS],
        "discount_percent": Decimal("25.00"),
    },
]

# Tier pricing. `add_on` None means one rule for every seed add-on. The natural key of a rule
# is (add-on, tier, conditions).
PRICING_RULES: list[dict[str, Any]] = [
    {
        "add_on": "GPU Compute Access",
        "tier_code": "professional",
        "discount_percent": Decimal("10.00"),
        "conditions": {},
        "priority": 10,
    },
    {
        "add_on": None,
        "tier_code": "enterprise",
        "discount_percent": Decimal("15.00"),
        "conditions": {},
        "priority": 20,
    },
    {
        # Volume discount for any tier: five or more seats of the vector database.
        "add_on": "Vector Search Engine",
        "tier_code": None,
        "discount_percent": Decimal("10.00"),
        "conditions": {"min_quantity": 5},
        "priority": 5,
    },
    {
        "add_on": "Brigade - Agent Platform",
        "tier_code": "vip_founder",
        "discount_percent": Decimal("20.00"),
        "conditions": {},
        "priority": 15,
    },
]
