"""What a product page says about an add-on: one list of facts, labelled for people.

An add-on's facts come from two places that overlap: the configuration of each feature it
enables (`add_on_features.configuration`, what the platform grants) and the add-on's own
`metadata` (descriptive). The configuration wins: a metadata fact is shown only when no feature
states it already — the same key (or the key it is `same_as`), the same label, or, for a yes/no
flag, a feature named after it ("SSML" is covered by "SSML markup"). Keys are internal names;
`FACTS` gives each known one its label and format, and unknown keys get a readable fallback
("max_widgets" → "Max widgets"). Pure: plain data in, plain data out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Metadata keys that steer how an add-on is shown, never facts about it.
PRESENTATION_KEYS = frozenset({"icon"})


@dataclass(frozen=True)
class Spec:
    """How one key reads: its label, a unit after numbers, and how its words are written.

    `up_to`: a limit ("Up to 10"). `upper`: codes written in capitals (MP3, BM25). `same_as`:
    the key of the fact this one repeats (metadata `voice_count` says what `voices` says).
    """

    label: str
    unit: str = ""
    up_to: bool = False
    upper: bool = False
    same_as: str | None = None


FACTS: dict[str, Spec] = {
    # Voices and speech.
    "voices": Spec("Voices"),
    "voice_count": Spec("Voices", same_as="voices"),
    "styles": Spec("Speaking styles"),
    "languages": Spec("Languages"),
    "ssml": Spec("SSML"),
    "ssml_version": Spec("SSML version"),
    "custom_lexicons": Spec("Custom lexicons"),
    "formats": Spec("Formats", upper=True),
    "exports": Spec("Export formats", upper=True, same_as="formats"),
    "max_sample_rate_hz": Spec("Sample rate", unit="Hz"),
    "characters_per_month": Spec("Characters per month"),
    "word_accuracy_percent": Spec("Word accuracy", unit="%"),
    "accuracy_percent": Spec("Word accuracy", unit="%", same_as="word_accuracy_percent"),
    "diarization": Spec("Diarization"),
    "max_speakers": Spec("Speakers told apart", up_to=True),
    "realtime": Spec("Real-time"),
    "streaming": Spec("Live streaming"),
    "latency_ms": Spec("Latency", unit="ms"),
    "granularity": Spec("Timestamp precision"),
    "hours_per_month": Spec("Hours per month"),
    # Agents and development.
    "max_agents": Spec("Agents", up_to=True),
    "orchestration": Spec("Orchestration"),
    "patterns": Spec("Workflow patterns"),
    "monitoring": Spec("Monitoring"),
    "retention_days": Spec("Run history kept", unit="days"),
    "alerts": Spec("Alerts"),
    "builtin_tools": Spec("Built-in tools"),
    "runs_per_month": Spec("Runs per month"),
    "gpu_hours": Spec("GPU hours per month", same_as="hours_per_month"),
    "gpu_type": Spec("GPU", upper=True),
    "docker": Spec("Docker"),
    "max_containers": Spec("Containers", up_to=True),
    "storage_gb": Spec("Storage", unit="GB"),
    "ci_cd": Spec("CI/CD"),
    "pipelines": Spec("Pipelines"),
    "minutes_per_month": Spec("Build minutes per month"),
    "max_workspaces": Spec("Workspaces", up_to=True),
    # Presentations and documents.
    "max_slides_per_deck": Spec("Slides per deck", up_to=True),
    "templates": Spec("Templates"),
    "brand_kits": Spec("Brand kits"),
    "max_collaborators": Spec("Collaborators", up_to=True),
    "ocr": Spec("OCR"),
    "handwriting": Spec("Handwriting"),
    "max_dpi": Spec("Scan resolution", unit="dpi", up_to=True),
    "pages_per_month": Spec("Pages per month"),
    "custom_templates": Spec("Custom templates"),
    # Search, vectors and compute.
    "semantic_search": Spec("Semantic search"),
    "queries_per_month": Spec("Queries per month"),
    "dimensions": Spec("Embedding dimensions"),
    "embedding_dimensions": Spec("Embedding dimensions", same_as="dimensions"),
    "max_sources": Spec("Connected sources", up_to=True),
    "sources": Spec("Connected sources", same_as="max_sources"),
    "scheduled_reports": Spec("Scheduled reports"),
    "requests_per_minute": Spec("API requests per minute"),
    "max_vectors": Spec("Vectors", up_to=True),
    "p95_query_ms": Spec("Query time (95th percentile)", unit="ms"),
    "hybrid_search": Spec("Hybrid search"),
    "keyword_ranking": Spec("Keyword ranking", upper=True),
    "max_filter_fields": Spec("Filter fields", up_to=True),
    "max_collections": Spec("Collections", up_to=True),
    "gpu_types": Spec("GPUs", upper=True),
    "gpus": Spec("GPUs", upper=True, same_as="gpu_types"),
    "max_concurrent_gpus": Spec("GPUs at once", up_to=True),
    "images": Spec("Ready-made images"),
    "queue": Spec("Queue"),
}

# Names whose spelling a capitalised first letter gets wrong.
WORDS = {
    "typescript": "TypeScript",
    "javascript": "JavaScript",
    "pytorch": "PyTorch",
    "tensorflow": "TensorFlow",
    "jax": "JAX",
}


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class FeatureFacts:
    """A feature an add-on enables: its name for people and its facts."""

    key: str
    name: str
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class ProductFacts:
    """Every fact of a product page once: per feature, then what the metadata adds."""

    features: tuple[FeatureFacts, ...]
    more: tuple[Fact, ...]


def humanise(key: str) -> str:
    """A readable label for a key nobody described: "max_widgets" → "Max widgets"."""
    words = re.sub(r"[_\-.]+", " ", key).strip()
    return words[:1].upper() + words[1:]


def label(key: str) -> str:
    spec = FACTS.get(key)
    return spec.label if spec else humanise(key)


def fact_value(value: Any, spec: Spec | None = None) -> str:
    """Show a value: True → "Yes", 48000 Hz → "48 kHz", 10 (up to) → "Up to 10", lists joined."""
    spec = spec or Spec("")
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        shown = _number(value, spec.unit)
        return f"Up to {shown}" if spec.up_to else shown
    if isinstance(value, list):
        return ", ".join(fact_value(item, Spec(spec.label, upper=spec.upper)) for item in value)
    if isinstance(value, dict):
        return ", ".join(
            f"{label(str(k))}: {fact_value(v, FACTS.get(str(k)))}" for k, v in value.items()
        )
    if value is None:
        return "—"
    return _words(str(value), spec.upper)


def product_facts(
    features: Sequence[tuple[str, str | None, Mapping[str, Any]]],
    metadata: Mapping[str, Any],
    order: Sequence[str] = (),
) -> ProductFacts:
    """Merge features `(key, platform name or None, configuration)` and the add-on's metadata.

    Features come in `order` (the add-on's own list of keys), unknown ones last by key.
    """
    position = {key: index for index, key in enumerate(order)}
    ranked = sorted(features, key=lambda f: (position.get(f[0], len(position)), f[0]))
    shown = tuple(
        FeatureFacts(key=key, name=name or humanise(key), facts=_facts(configuration.items()))
        for key, name, configuration in ranked
    )
    stated = {key for _key, _name, configuration in features for key in configuration}
    labels = {fact.label.casefold() for feature in shown for fact in feature.facts}
    names = [feature.name.casefold() for feature in shown]
    more = []
    for key, value in sorted(metadata.items()):
        spec = FACTS.get(key) or Spec(humanise(key))
        if key in PRESENTATION_KEYS or key in stated or spec.same_as in stated:
            continue
        wording = spec.label.casefold()
        if wording in labels or (value is True and any(wording in name for name in names)):
            continue
        labels.add(wording)
        more.append(Fact(spec.label, fact_value(value, spec)))
    return ProductFacts(features=shown, more=tuple(more))


def _facts(items: Iterable[tuple[str, Any]]) -> tuple[Fact, ...]:
    return tuple(
        Fact(label(key), fact_value(value, FACTS.get(key))) for key, value in sorted(items)
    )


def _number(value: float, unit: str) -> str:
    if unit == "Hz" and value >= 1000:
        return f"{value / 1000:g} kHz"
    shown = f"{value:,}" if isinstance(value, int) else f"{value:,g}"
    if unit == "%":
        return f"{shown}%"
    return f"{shown} {unit}" if unit else shown


def _words(text: str, upper: bool) -> str:
    if upper:
        return text.upper()
    known = WORDS.get(text.casefold())
    return known or text[:1].upper() + text[1:]
