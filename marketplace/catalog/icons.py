"""Which icon an add-on or bundle shows, and the icons' markup (Lucide, vendored in static/icons).

An add-on names its icon in its metadata (`metadata.icon`, seeded for the guide's nine, chosen
in the admin later); one without (or naming an icon not vendored) gets its category's icon.
The markup is read once from the vendored SVG files and inlined by the `icon` macro
(templates/_macros/icons.html), so pages, receipts and e-mails can show it without a request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from marketplace.config import PROJECT_ROOT

ICON_DIR = PROJECT_ROOT / "static" / "icons"
FALLBACK = "puzzle"
BUNDLE = "package"
CATEGORY_ICONS = {
    "ai-services": "sparkles",
    "development": "code-xml",
    "productivity": "briefcase",
    "analytics": "chart-line",
    "infrastructure": "server",
}
_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_OUTER = re.compile(r"<!--.*?-->|</?svg[^>]*>", re.S)


@cache
def available() -> frozenset[str]:
    """The names of the vendored icons."""
    return frozenset(path.stem for path in ICON_DIR.glob("*.svg"))


def add_on_icon(meta: Mapping[str, Any] | None, category: str | None) -> str:
    """The icon of an add-on: its metadata's `icon`, else its category's, else a puzzle piece."""
    wanted = (meta or {}).get("icon")
    if isinstance(wanted, str) and wanted in available():
        return wanted
    return CATEGORY_ICONS.get(category or "", FALLBACK)


@cache
def icon_body(name: str) -> str:
    """The inside of icon `name`'s `<svg>` (its paths), or the fallback's for an unknown name."""
    if not _NAME.fullmatch(name) or name not in available():
        name = FALLBACK
    source = (ICON_DIR / f"{name}.svg").read_text(encoding="utf-8")
    return " ".join(_OUTER.sub("", source).split())
