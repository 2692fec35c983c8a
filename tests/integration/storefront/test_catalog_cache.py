"""The rendered catalog cache: hits, keys, expiry, size, CSRF tokens in cached pages, and the
product pages it holds per tier."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from marketplace import create_app
from marketplace.catalog.cache import (
    CSRF_PLACEHOLDER,
    EXTENSION_KEY,
    VERSION_KEY,
    TTLCache,
    VersionMemo,
)
from marketplace.catalog.cards import EXTENSION_KEY as CARDS_KEY
from marketplace.extensions import db
from marketplace.models import AddOn, PricingRule
from tests.fixtures.shoppers import sign_in
from tests.integration.storefront.pages import (
    Clock,
    card_html,
    forget_request_token,
    install_cache,
    slugs_in,
)

HTMX = {"HX-Request": "true"}
FIELD_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
HEADER_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


@pytest.fixture
def cached(app):
    """The app with a 30 s catalog cache on a clock the test moves."""
    return install_cache(app)


def field_tokens(html: str) -> set[str]:
    return set(FIELD_TOKEN.findall(html))


def test_a_hit_serves_the_same_html_with_this_requests_token(
    app, add_ons, bundles, cached, count_queries
):
    first = app.test_client().get("/").get_data(as_text=True)
    forget_request_token()
    with count_queries() as statements:
        second = app.test_client().get("/").get_data(as_text=True)  # another anonymous shopper

    assert statements == []  # no cart, cache hit: no database at all
    assert slugs_in(second) == slugs_in(first) and len(slugs_in(first)) == 9
    assert CSRF_PLACEHOLDER not in first and CSRF_PLACEHOLDER not in second
    (first_token,) = field_tokens(first)
    (second_token,) = field_tokens(second)
    assert first_token != second_token  # each session gets its own token ...
    assert HEADER_TOKEN.search(first).group(1) == first_token  # ... the one hx-headers carries
    assert HEADER_TOKEN.search(second).group(1) == second_token
    assert second.replace(second_token, "T") == first.replace(first_token, "T")


def test_page_and_partial_are_two_entries_sharing_the_cards(app, add_ons, cached, count_queries):
    client = app.test_client()
    page = client.get("/?category=productivity").get_data(as_text=True)
    cards = app.extensions[CARDS_KEY]
    rendered = len(cards)
    partial = client.get("/?category=productivity", headers=HTMX)
    with count_queries() as statements:
        again = client.get("/?category=productivity", headers=HTMX)

    assert len(cached[0]) == 2 and rendered == len(slugs_in(page)) > 0
    assert len(cards) == rendered  # the partial reused every card the page rendered
    assert statements == [] and again.text == partial.text  # the partial's own entry
    assert "HX-Request" in partial.vary
    partial_html = partial.get_data(as_text=True)
    assert "<html" not in partial_html and partial_html.strip() in page


def test_another_page_reuses_a_card_with_its_bundle_hints_unread(
    app, add_ons, bundles, cached, count_queries
):
    client = app.test_client()
    featured = card_html(client.get("/").text, "unicorn-orator-tts")
    with count_queries() as statements:
        by_name = card_html(client.get("/?sort=name").text, "unicorn-orator-tts")

    assert by_name == featured and "In AI Productivity Bundle — save 15%" in by_name
    assert not [s for s in statements if "add_on_bundles" in s]  # no bundle query: all cached


def test_different_filters_are_different_entries(app, many_add_ons, cached):
    cache, _ = cached
    client = app.test_client()
    urls = ["/", "/?category=productivity", "/?q=voice", "/?sort=name", "/?page=2"]
    pages = [client.get(url).get_data(as_text=True) for url in urls]

    assert len(cache) == len(urls)
    assert len({tuple(slugs_in(html)) for html in pages}) == len(urls)
    # Entries are keyed by the query string as sent; other spellings show the same pages.
    assert slugs_in(client.get("/?q=&category=&sort=featured&page=1").text) == slugs_in(pages[0])
    assert slugs_in(client.get("/?q=++voice+").text) == slugs_in(pages[2])
    assert len(cache) == len(urls) + 2
    client.get("/?q=voice")
    assert len(cache) == len(urls) + 2


def test_a_bad_filter_is_a_400_and_not_cached(app, add_ons, cached):
    client = app.test_client()

    assert client.get("/?sort=sideways").status_code == 400
    assert client.get("/?sort=sideways").status_code == 400
    assert len(cached[0]) == 0


def test_entries_expire_after_the_ttl(app, add_ons, cached, count_queries):
    cache, clock = cached
    # The catalog version is read once and trusted throughout: only the TTL can expire a page
    # here (tests/integration/admin/test_catalog_version.py shows a change's own effect).
    app.extensions[VERSION_KEY] = VersionMemo(ttl=1, clock=lambda: 0.0)
    client = app.test_client()
    assert "Unicorn Orator - TTS" in client.get("/").get_data(as_text=True)
    add_ons["unicorn-orator-tts"].name = "Renamed Orator"
    db.session.flush()

    clock.now += 29.9
    with count_queries() as statements:
        stale = client.get("/").get_data(as_text=True)
    assert statements == [] and "Unicorn Orator - TTS" in stale

    clock.now += 0.1
    fresh = client.get("/").get_data(as_text=True)
    assert "Renamed Orator" in fresh and "Unicorn Orator - TTS" not in fresh
    assert len(cache) == 1


def test_zero_seconds_disables_the_cache(app, add_ons, count_queries):
    # The test apps run with CATALOG_CACHE_SECONDS=0 (tests/conftest.py).
    cache = app.extensions[EXTENSION_KEY]
    client = app.test_client()
    client.get("/")
    with count_queries() as statements:
        html = client.get("/").get_data(as_text=True)

    assert not cache.enabled and len(cache) == 0
    assert statements  # rendered again from the database
    assert CSRF_PLACEHOLDER not in html and field_tokens(html)


def test_the_setting_sizes_the_cache(database_url):
    on = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "CATALOG_CACHE_SECONDS": 12})
    off = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "CATALOG_CACHE_SECONDS": 0})

    assert on.extensions[EXTENSION_KEY].ttl == 12 and on.extensions[EXTENSION_KEY].enabled
    assert not off.extensions[EXTENSION_KEY].enabled


def test_the_cache_is_bounded(app, many_add_ons):
    cache, _ = install_cache(app, max_entries=2)
    client = app.test_client()
    for url in ("/", "/?sort=name", "/?sort=price_asc"):
        client.get(url)

    assert len(cache) == 2


def test_lru_evicts_the_least_recently_used():
    clock = Clock()
    cache = TTLCache[str](ttl=10, max_entries=2, clock=clock)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # a is now the most recently used
    cache.put("c", "C")

    assert cache.get("b") is None and cache.get("a") == "A" and cache.get("c") == "C"
    clock.now += 10
    assert cache.get("a") is None and len(cache) == 1  # expired entries go on read
    assert TTLCache[str](ttl=0).get_or_create("k", lambda: "v") == "v"


def test_a_page_past_the_end_stays_a_404(app, add_ons, cached):
    client = app.test_client()

    assert client.get("/?page=5").status_code == 404
    assert client.get("/?page=5").status_code == 404


def test_no_js_add_to_cart_with_the_token_of_a_cached_page(csrf_app):
    # csrf_app has its own rolled-back transaction, so this test seeds its own add-on.
    add_on = AddOn(name="Cached Probe", slug="cached-probe", category="analytics", base_price=1)
    db.session.add(add_on)
    db.session.commit()
    cache, _ = install_cache(csrf_app)
    other = csrf_app.test_client().get("/?q=cached+probe")  # someone else fills the cache
    forget_request_token()

    client = csrf_app.test_client()
    page = client.get("/?q=cached+probe").get_data(as_text=True)
    assert len(cache) == 1 and slugs_in(page) == ["cached-probe"]
    card_form = page[page.index('data-add-on="cached-probe"') :]
    token = FIELD_TOKEN.search(card_form).group(1)
    assert token not in other.get_data(as_text=True)  # this session's token, not the filler's

    data = {"add_on_id": str(add_on.id), "quantity": "1"}
    forged = client.post("/cart/items", data={**data, "csrf_token": "forged"})
    added = client.post("/cart/items", data={**data, "csrf_token": token})

    assert forged.status_code == 400
    assert added.status_code == 303  # the no-JS form redirects back
    assert "Cached Probe" in client.get("/cart").get_data(as_text=True)


def test_a_product_page_hit_needs_no_database(app, add_ons, bundles, cached, count_queries):
    first = app.test_client().get("/add-ons/unicorn-orator-tts").get_data(as_text=True)
    forget_request_token()
    with count_queries() as statements:
        second = app.test_client().get("/add-ons/unicorn-orator-tts").get_data(as_text=True)

    assert statements == []
    (first_token,) = field_tokens(first)
    (second_token,) = field_tokens(second)
    assert first_token != second_token and CSRF_PLACEHOLDER not in second
    assert second.replace(second_token, "T") == first.replace(first_token, "T")
    assert "<title>Unicorn Orator - TTS · Extensions Marketplace</title>" in second


def test_product_pages_are_cached_per_tier(app, add_ons, cached, session):
    cache, _ = cached
    gpu = add_ons["gpu-compute-access"]
    session.add(PricingRule(add_on_id=gpu.id, tier_code="pro", discount_percent=Decimal("10")))
    session.commit()
    anonymous = app.test_client()
    pro = app.test_client()
    sign_in(pro, "pro-user", tier="pro")

    before = anonymous.get("/add-ons/gpu-compute-access").get_data(as_text=True)
    forget_request_token()
    priced = pro.get("/add-ons/gpu-compute-access").get_data(as_text=True)
    forget_request_token()
    after = anonymous.get("/add-ons/gpu-compute-access").get_data(as_text=True)

    assert "Your price on Pro" in priced
    assert "Your price" not in before and "Your price" not in after
    assert len(cache) == 2


def test_a_missing_product_is_not_cached(app, add_ons, cached):
    client = app.test_client()

    assert client.get("/add-ons/no-such-add-on").status_code == 404
    assert client.get("/add-ons/no-such-add-on").status_code == 404
    assert len(cached[0]) == 0
