"""Unknown query parameters neither bypass the catalog cache nor fill it: a page's key is made of
the catalog's own parameters alone, in one order, and a hit still parses no form."""

from __future__ import annotations

import pytest

from marketplace.catalog import routes
from marketplace.catalog.forms import CATALOG_PARAMS, CatalogQuery
from tests.integration.storefront.pages import slugs_in
from tests.integration.storefront.test_catalog_cache import forget_request_token, install_cache

JUNK = [
    "utm_source=newsletter",
    "utm_source=newsletter&utm_medium=email&utm_campaign=spring",
    "fbclid=IwAR0abc",
    "gclid=xyz",
    "x=1",
    "x=2",
    "_=1716200000000",
    "Q=voice",  # names are case-sensitive: not the search
]


@pytest.fixture
def cache(app):
    return install_cache(app)[0]


def no_form_parsing(monkeypatch) -> None:
    """Make parsing the catalog's query a failure: a cache hit must not need it."""

    def refuse(*args, **kwargs):
        raise AssertionError("a cache hit parsed the query with WTForms")

    monkeypatch.setattr(routes, "CatalogQuery", refuse)


def test_unknown_parameters_hit_the_cached_page(app, catalog, cache, sql_log, monkeypatch):
    client = app.test_client()
    first = client.get("/?category=productivity").get_data(as_text=True)
    no_form_parsing(monkeypatch)

    for junk in JUNK:
        forget_request_token()
        with sql_log() as statements:
            response = client.get(f"/?category=productivity&{junk}")
        assert response.status_code == 200
        assert statements == []  # a hit: no database
        assert slugs_in(response.get_data(as_text=True)) == slugs_in(first)
    assert len(cache) == 1


def test_junk_cannot_fill_the_cache(app, catalog, cache):
    client = app.test_client()
    for n in range(300):
        assert client.get(f"/?nonce={n}&sort=name&utm_content={n}").status_code == 200

    assert len(cache) == 1


def test_the_order_of_parameters_does_not_matter(app, catalog, cache, monkeypatch):
    client = app.test_client()
    client.get("/?category=productivity&sort=name&page=1")
    no_form_parsing(monkeypatch)

    for url in (
        "/?sort=name&page=1&category=productivity",
        "/?page=1&category=productivity&sort=name&ref=x",
    ):
        assert client.get(url).status_code == 200
    assert len(cache) == 1


def test_a_repeated_parameter_counts_once(app, catalog, cache):
    client = app.test_client()
    shown = slugs_in(client.get("/?sort=name").get_data(as_text=True))
    # The form reads the first value, and so does the key: no entry per extra value.
    repeated = client.get("/?sort=name&sort=price_desc&sort=price_asc")

    assert slugs_in(repeated.get_data(as_text=True)) == shown
    assert len(cache) == 1


def test_known_parameters_still_make_different_pages(app, catalog, cache):
    client = app.test_client()
    for url in ("/", "/?sort=name", "/?category=productivity", "/?q=voice"):
        client.get(url)

    assert len(cache) == 4


def test_a_bad_value_is_still_a_400_with_junk_around_it(app, catalog, cache):
    client = app.test_client()

    assert client.get("/?utm_source=x&sort=sideways").status_code == 400
    assert len(cache) == 0


def test_product_pages_ignore_the_query_string(app, catalog, cache, sql_log):
    client = app.test_client()
    client.get("/add-ons/unicorn-orator-tts")
    forget_request_token()
    with sql_log() as statements:
        for junk in JUNK:
            assert client.get(f"/add-ons/unicorn-orator-tts?{junk}").status_code == 200
            forget_request_token()

    assert statements == [] and len(cache) == 1


def test_the_key_names_every_parameter_the_form_reads():
    assert set(CATALOG_PARAMS) == {field.name for field in CatalogQuery()}
