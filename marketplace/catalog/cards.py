"""The catalog grid's cards, each rendered once per add-on and catalog version.

A card (`templates/catalog/_card.html`) shows only the add-on itself: its name, icon, key
features, bundle hints and base price, never anything of the page or the shopper that lists it.
So every page and search that lists an add-on can reuse the same HTML, and a search that misses
the page cache renders only the cards no page has shown lately. Cards live in a cache of their
own, sized for a large catalog (`CATALOG_CARD_CACHE_MAX_ENTRIES`), keyed by the catalog
version like the pages, and kept as long (`CATALOG_CACHE_SECONDS`).
"""

from __future__ import annotations

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


def card_html(results: CatalogPage, add_on: AddOn) -> Markup:
    """The card of `add_on` on the page `results`, with the CSRF placeholder in its form."""
    key = ("card", current_version(), request.script_root, add_on.id)
    return card_cache().get_or_create(key, lambda: _render(results, add_on))


def _render(results: CatalogPage, add_on: AddOn) -> Markup:
    template = current_app.jinja_env.get_template("catalog/_card.html")
    return Markup(
        template.render(
            add_on=add_on,
            key_features=results.key_features.get(add_on.id, []),
            hints=results.bundle_hints.get(add_on.id, []),
            form_token=CSRF_PLACEHOLDER,
        )
    )
