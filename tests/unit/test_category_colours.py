"""Each category has its colours among the design tokens, readable as text (WCAG AA, 4.5:1)."""

from __future__ import annotations

import re

import pytest

from marketplace.catalog.forms import CATEGORY_LABELS
from marketplace.config import PROJECT_ROOT

CSS = (PROJECT_ROOT / "static/css/app.css").read_text()
ROOT = CSS[CSS.index(":root {") : CSS.index("}", CSS.index(":root {"))]
TOKENS = dict(re.findall(r"(--[a-z0-9-]+):\s*(#[0-9a-fA-F]{6})\s*;", ROOT))


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("category", sorted(CATEGORY_LABELS))
def test_a_category_chip_and_icon_tile_are_readable(category):
    text, background = TOKENS[f"--c-{category}"], TOKENS[f"--c-{category}-soft"]

    assert contrast(text, background) >= 4.5
    assert contrast(text, TOKENS["--c-surface"]) >= 4.5
    for rule in (f".badge--{category}", f".icon-tile--{category}"):
        block = re.search(re.escape(rule) + r"[^{]*\{([^}]*)\}", CSS)
        assert block, f"{rule} has no rule"
        assert f"var(--c-{category})" in block.group(1)
        assert f"var(--c-{category}-soft)" in block.group(1)


def test_the_categories_have_colours_of_their_own():
    assert len({TOKENS[f"--c-{category}"] for category in CATEGORY_LABELS}) == len(CATEGORY_LABELS)
