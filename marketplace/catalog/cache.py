"""A small in-process cache of rendered catalog fragments: bounded (LRU), expiring (TTL).

The catalog grid (`templates/catalog/_results.html`) is the same for every shopper: cards show
base prices, bundle hints and links, nothing about who asks. A product page's content
(`_product.html`) depends only on the shopper's tier, which is part of its key. The only
per-session part is the CSRF token of the no-JS add-to-cart forms, so fragments are rendered
with `CSRF_PLACEHOLDER` in its place and `with_csrf_token` puts the request's token in on the
way out. The layout around them (header, cart badge, flashes) is rendered on every request.

Each gunicorn worker holds its own cache; nothing is shared between processes. Two requests
that miss the same key at once both render it (the last one stored wins), which is harmless.

Every key also holds the catalog version (marketplace/catalog/version.py), which PostgreSQL
bumps in the transaction of any catalog change, so a change made through any process or
server, or by SQL, makes every process render afresh. Asking PostgreSQL for the version on
every cached page would add a round trip to each hit, so a process trusts the number it read
for `CATALOG_VERSION_SECONDS` (default 0.5 s): another process shows a change at most that
late, the process that made it at once (`catalog_changed`). Prices charged never depend on it
(carts and checkout re-price from the database).
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

import psycopg
from flask import Flask, current_app
from flask.sansio.app import App
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import exc as sa_exc

from marketplace import outages
from marketplace.catalog.forms import CatalogFilters
from marketplace.catalog.version import catalog_version
from marketplace.extensions import db

EXTENSION_KEY = "catalog_cache"
VERSION_KEY = "catalog_version_memo"
DEFAULT_VERSION_SECONDS = 0.5
DATABASE_ERRORS = (sa_exc.DBAPIError, sa_exc.TimeoutError, psycopg.Error)
# How long a rendered catalog page is served from memory. A card may show a price, name or
# bundle hint up to this many seconds old; that never changes what anyone pays, because the
# cart and checkout always re-price every line from the database (marketplace.quoting).
DEFAULT_TTL_SECONDS = 30.0
DEFAULT_MAX_ENTRIES = 256
# Random per process, so no search text can spell it; it is made only of [a-z0-9-], which
# HTML escaping leaves alone, and never leaves the process (see `with_csrf_token`).
CSRF_PLACEHOLDER = f"csrf-placeholder-{secrets.token_hex(16)}"

V = TypeVar("V")


class TTLCache(Generic[V]):
    """A thread-safe mapping of at most `max_entries` values, each kept `ttl` seconds.

    Reads refresh an entry's place in the LRU order but not its age. `ttl <= 0` disables the
    cache: `get` always misses and `put` stores nothing. `clock` returns seconds (monotonic).
    """

    def __init__(
        self,
        ttl: float,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.ttl = float(ttl)
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def get(self, key: Hashable) -> V | None:
        if not self.enabled:
            return None
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if now >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        if not self.enabled:
            return
        expires = self._clock() + self.ttl
        with self._lock:
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def get_or_create(self, key: Hashable, create: Callable[[], V]) -> V:
        """The cached value of `key`, else `create()` (called outside the lock), stored."""
        value = self.get(key)
        if value is None:
            value = create()
            self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class VersionMemo:
    """The last catalog version this process read, trusted for `ttl` seconds."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = float(ttl)
        self._clock = clock
        self._read_at = float("-inf")
        self._version = 0
        self._lock = threading.Lock()

    def get(self, read: Callable[[], int]) -> int:
        """The remembered version, or `read()`'s when it is older than `ttl` (or forgotten)."""
        now = self._clock()
        with self._lock:
            if now - self._read_at < self.ttl:
                return self._version
        version = read()
        with self._lock:
            self._version, self._read_at = version, now
        return version

    @property
    def last(self) -> int:
        """The version last read (0 before any)."""
        with self._lock:
            return self._version

    def forget(self) -> None:
        """Read the version again next time (this process just changed the catalog)."""
        with self._lock:
            self._read_at = float("-inf")


@dataclass(frozen=True)
class CatalogFragment:
    """One rendered catalog page, with `CSRF_PLACEHOLDER` where the forms' tokens go."""

    filters: CatalogFilters  # the validated, normalised filters it shows
    # The htmx partial (templates/catalog/_results.html), or for a full page its content
    # block with the results inside (_content.html).
    html: str
    empty: bool  # no add-ons on this page (a page past the first is then a 404)
    add_on_ids: tuple[uuid.UUID, ...]  # the add-ons on it, in order


@dataclass(frozen=True)
class ProductFragment:
    """One rendered product page for one tier, with `CSRF_PLACEHOLDER` in its form."""

    title: str
    description: str
    content_html: str  # templates/catalog/_product.html
    add_on_id: uuid.UUID


# What the cache holds: the storefront's rendered pages, and the catalog API's JSON answers
# (marketplace/api/catalog.py), each under keys of its own kind.
Fragment = CatalogFragment | ProductFragment | str


def init_app(app: App) -> None:
    """Give `app` its catalog cache, sized from `CATALOG_CACHE_SECONDS` / `_MAX_ENTRIES`."""
    app.extensions[EXTENSION_KEY] = TTLCache[Fragment](
        ttl=float(app.config.get("CATALOG_CACHE_SECONDS", DEFAULT_TTL_SECONDS)),
        max_entries=int(app.config.get("CATALOG_CACHE_MAX_ENTRIES", DEFAULT_MAX_ENTRIES)),
    )
    app.extensions[VERSION_KEY] = VersionMemo(
        ttl=float(app.config.get("CATALOG_VERSION_SECONDS", DEFAULT_VERSION_SECONDS))
    )


def catalog_cache(app: Flask | None = None) -> TTLCache[Fragment]:
    app = app or current_app
    if EXTENSION_KEY not in app.extensions:
        init_app(app)
    return app.extensions[EXTENSION_KEY]


def current_version() -> int:
    """The catalog version a cached page's key holds (0, unread, when the cache is off)."""
    if not catalog_cache().enabled:
        return 0
    memo: VersionMemo = current_app.extensions[VERSION_KEY]
    try:
        return memo.get(lambda: catalog_version(db.session()))
    except DATABASE_ERRORS as error:
        if not outages.is_database_outage(error):
            raise
        # Database down: cached pages are still served, as last known (a miss is a 503).
        outages.mark_unavailable()
        return memo.last


def catalog_changed(app: Flask | None = None) -> None:
    """This process changed the catalog: its next page reads the new version at once."""
    app = app or current_app
    catalog_cache(app)  # made on first use
    app.extensions[VERSION_KEY].forget()


def with_csrf_token(html: str) -> Markup:
    """Cached `html` with this request's CSRF token in every form (it was rendered escaped)."""
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, generate_csrf())
    return Markup(html)
