"""The catalog grid's cards, each rendered once per add-on and catalog version.

A card (`templates/catalog/_card.html`) shows only the add-on itself: its name, icon, key
features, bundle hints and base price, never anything of the page or the shopper that lists it.
So every page and search that lists an add-on can reuse the same HTML, and a search that misses
the page cache renders only the cards no page has shown lately. Cards live in a cache of their
own, sized for a large catalog (`CATALOG_CARD_CACHE_MAX_ENTRIES`), keyed by the catalog
version like the pages, and kept as long (`CATALOG_CACHE_SECONDS`).
"""

from __future__ import annotations

import uuid

from flask import current_app, request
from markupsafe import Markup

from marketplace.catalog.cache import (
    CSRF_PLACEHOLDER,
    DEFAULT_TTL_SECONDS,
    TTLCache,
    current_version,
)
from marketplace.catalog.queries import CatalogPage
from marketplace.models import AddOn

EXTENSION_KEY = "catalog_card_cache"
DEFAULT_MAX_ENTRIES = 4096  # about 1.5 kB each: 6 MB a process at most


def card_cache() -> TTLCache[Markup]:
    """This app's card cache, made on first use."""
    app = current_app
    if EXTENSION_KEY not in app.extensions:
        app.extensions[EXTENSION_KEY] = TTLCache[Markup](
            ttl=float(app.config.get("CATALOG_CACHE_SECONDS", DEFAULT_TTL_SECONDS)),
            max_entries=int(app.config.get("CATALOG_CARD_CACHE_MAX_ENTRIES", DEFAULT_MAX_ENTRIES)),
        )
    return app.extensions[EXTENSION_KEY]


class PageCards:
    """The cards of one catalog page: those cached when its add-ons were read, the rest
    rendered from the page's data. Holding the cached ones from the moment the page asked means
    a card that expires in between is never rendered without the data that was skipped for it.
    The page's cards share one catalog version (read once, as the page's own key was).
    """

    def __init__(self) -> None:
        self._ready: dict[uuid.UUID, Markup] = {}
        self._cache = card_cache()
        self._key = ("card", current_version(), request.script_root)

    def need_data(self, add_on_id: uuid.UUID) -> bool:
        """Whether the page must read this add-on's card data (its card is not cached)."""
        card = self._cache.get((*self._key, add_on_id))
        if card is None:
            return True
        self._ready[add_on_id] = card
        return False

    def html(self, results: CatalogPage) -> list[Markup]:
        """Every card of `results`, in order, with the CSRF placeholder in its form."""
        return [
            self._ready.get(add_on.id) or self._rendered(results, add_on)
            for add_on in results.add_ons
        ]

    def _rendered(self, results: CatalogPage, add_on: AddOn) -> Markup:
        card = _render(results, add_on)
        self._cache.put((*self._key, add_on.id), card)
        return card


def _render(results: CatalogPage, add_on: AddOn) -> Markup:
    template = current_app.jinja_env.get_template("catalog/_card.html")
    card = template.module.card  # type: ignore[attr-defined]  # its macro
    return Markup(
        card(
            add_on,
            results.key_features.get(add_on.id, []),
            results.bundle_hints.get(add_on.id, []),
            CSRF_PLACEHOLDER,
        )
    ).strip()
