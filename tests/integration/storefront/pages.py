"""Reading catalog pages, and a catalog cache on a clock the test moves."""

from __future__ import annotations

import re

from flask import g
from markupsafe import Markup

from marketplace.catalog import cards
from marketplace.catalog.cache import EXTENSION_KEY, VERSION_KEY, TTLCache, VersionMemo


def card_html(html: str, slug: str) -> str:
    """The markup of one catalog card."""
    return _article(html, f'data-add-on="{slug}"')


def bundle_html(html: str, name: str) -> str:
    """The markup of one bundle on the bundles page."""
    return _article(html, f'data-bundle="{name}"')


def _article(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</article>", start)]


def slugs_in(html: str) -> list[str]:
    """The add-on cards of a catalog page, in order."""
    return re.findall(r'data-add-on="([^"]+)"', html)


def bundle_names(html: str) -> list[str]:
    """The bundles of the bundles page, in order."""
    return re.findall(r'data-bundle="([^"]+)"', html)


def htmx_form_markup(action: str, target: str, field: str, value: object) -> list[str]:
    """The markup of a form posting `field=value` to `action`, plainly and by htmx into #target."""
    return [
        f'method="post" action="{action}"',
        f'hx-post="{action}"',
        f'hx-target="#{target}"',
        f'name="{field}" value="{value}"',
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def install_cache(app, ttl: float = 30, max_entries: int = 256) -> tuple[TTLCache, Clock]:
    clock = Clock()
    cache = TTLCache(ttl=ttl, max_entries=max_entries, clock=clock)
    app.extensions[EXTENSION_KEY] = cache
    app.extensions[cards.EXTENSION_KEY] = TTLCache[Markup](ttl=ttl, clock=clock)
    # The catalog version is trusted for 0.5 s of the same clock (a still clock: no re-read).
    app.extensions[VERSION_KEY] = VersionMemo(ttl=0.5, clock=clock)
    return cache, clock


def forget_request_token() -> None:
    """The test holds one app context across requests, so `g` would keep the first request's
    signed token; production requests each get their own."""
    g.pop("csrf_token", None)
