"""Catalog `/`: cards, filters, search, sort, pagination, page vs partial, errors, query count."""

from __future__ import annotations

import pytest

from marketplace.catalog.queries import add_ons_with_feature
from tests.integration.storefront.pages import card_html, htmx_form_markup, slugs_in

HTMX = {"HX-Request": "true"}
FEATURED = [
    "unicorn-orator-tts",
    "amanuensis-stt",
    "brigade-agent-platform",
    "bolt-ai-dev-environment",
    "presenton-presentations",
    "center-deep-pro",
    "document-processing-suite",
    "vector-search-engine",
    "gpu-compute-access",
]


def test_full_page_and_partial_come_from_the_same_url(client, add_ons):
    page = client.get("/?category=productivity")
    partial = client.get("/?category=productivity", headers=HTMX)

    assert page.status_code == partial.status_code == 200
    assert "HX-Request" in page.vary and "HX-Request" in partial.vary
    page_html, partial_html = page.get_data(as_text=True), partial.get_data(as_text=True)
    assert page_html.startswith("<!doctype html>")
    assert '<main id="main"' in page_html and 'id="catalog-results"' in page_html
    assert "htmx.min.js" in page_html and "app.css" in page_html
    assert "<html" not in partial_html and '<form class="filters"' not in partial_html
    expected = ["presenton-presentations", "document-processing-suite"]
    assert slugs_in(page_html) == slugs_in(partial_html) == expected


def test_history_restore_and_boosted_requests_get_the_full_page(client, add_ons):
    restore = client.get(
        "/?category=analytics", headers={**HTMX, "HX-History-Restore-Request": "true"}
    )
    boosted = client.get("/", headers={**HTMX, "HX-Boosted": "true"})

    restored = restore.get_data(as_text=True)
    assert "<html" in restored
    # The restored page's filter form shows the URL's state, not "All categories".
    assert '<option selected value="analytics">Analytics</option>' in restored
    assert "HX-History-Restore-Request" in restore.vary
    assert "<html" in boosted.get_data(as_text=True)


def test_cards_show_price_category_key_features_and_bundle_hint(client, add_ons, bundles):
    html = client.get("/").get_data(as_text=True)

    assert slugs_in(html) == FEATURED  # the inactive add-on is not listed
    card = card_html(html, "unicorn-orator-tts")
    assert 'href="/add-ons/unicorn-orator-tts">Unicorn Orator - TTS</a>' in card
    assert "AI Services" in card
    assert '<span class="price__amount">$9.99</span><span class="price__period">/mo</span>' in card
    assert "<li>Tts neural voices</li><li>Tts languages</li><li>Tts ssml</li>" in card
    assert "Tts audio export" not in card
    # Featured bundles first; expired and inactive bundles give no hints.
    assert "In AI Productivity Bundle — save 15%" in card
    assert "+1 more" in card
    assert "Expired Voice Deal" not in html and "Paused GPU Deal" not in html


def test_key_features_use_platform_feature_names(client, add_ons, feature_rows):
    html = client.get("/?q=unicorn").get_data(as_text=True)

    assert "<li>Neural voices</li><li>Speech in 30 languages</li><li>Tts ssml</li>" in html


def test_add_to_cart_is_a_plain_form_with_htmx(client, add_ons):
    html = client.get("/?q=gpu+compute").get_data(as_text=True)
    gpu = add_ons["gpu-compute-access"]

    form = htmx_form_markup("/cart/items", f"cart-status-{gpu.id}", "add_on_id", gpu.id)
    for markup in form:
        assert markup in html
    assert 'name="csrf_token"' in html


def test_category_filter(client, add_ons):
    html = client.get("/?category=infrastructure").get_data(as_text=True)

    assert slugs_in(html) == ["vector-search-engine", "gpu-compute-access"]
    assert "<strong>2</strong> add-ons in Infrastructure" in html
    assert '<option selected value="infrastructure">Infrastructure</option>' in html


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("presenton", ["presenton-presentations"]),  # name
        ("Amanuensis", ["amanuensis-stt"]),  # name, any case
        ("invoices", ["document-processing-suite"]),  # description word
        ("invoice", ["document-processing-suite"]),  # stemmed
        ("diarization", ["amanuensis-stt"]),  # feature key
        ("diariz", ["amanuensis-stt"]),  # feature key prefix
        ("orch", ["brigade-agent-platform"]),  # prefix
        (
            "gpu hours",
            ["bolt-ai-dev-environment", "gpu-compute-access"],
        ),  # both in a feature name first
        ("vector", ["vector-search-engine", "center-deep-pro"]),  # the name match first
        ("zzz-nothing", []),
    ],
)
def test_search(client, add_ons, q, expected):
    html = client.get("/", query_string={"q": q}).get_data(as_text=True)

    assert slugs_in(html) == expected


def test_search_combines_with_category(client, add_ons):
    html = client.get("/?q=vector&category=analytics").get_data(as_text=True)

    assert slugs_in(html) == ["center-deep-pro"]


@pytest.mark.parametrize("q", ["!!!", "'&|:*()", "   ", "<script>"])
def test_search_punctuation_is_harmless(client, add_ons, q):
    response = client.get("/", query_string={"q": q})

    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True).split("</head>")[1]


@pytest.mark.parametrize(
    ("sort", "first", "last"),
    [
        ("featured", "unicorn-orator-tts", "gpu-compute-access"),
        ("name", "amanuensis-stt", "vector-search-engine"),
        ("price_desc", "gpu-compute-access", "unicorn-orator-tts"),
    ],
)
def test_sort(client, add_ons, sort, first, last):
    slugs = slugs_in(client.get(f"/?sort={sort}").get_data(as_text=True))

    assert len(slugs) == 9
    assert (slugs[0], slugs[-1]) == (first, last)


def test_sort_by_price_ascending_breaks_ties_by_name(client, add_ons):
    slugs = slugs_in(client.get("/?sort=price_asc").get_data(as_text=True))

    assert slugs == [
        "amanuensis-stt",
        "presenton-presentations",
        "unicorn-orator-tts",
        "document-processing-suite",
        "bolt-ai-dev-environment",
        "vector-search-engine",
        "brigade-agent-platform",
        "center-deep-pro",
        "gpu-compute-access",
    ]


def test_pagination(client, many_add_ons):
    first = client.get("/").get_data(as_text=True)
    second = client.get("/?page=2").get_data(as_text=True)

    assert len(slugs_in(first)) == 24
    assert slugs_in(first)[:9] == FEATURED
    assert slugs_in(second) == [f"widget-{n:02d}" for n in range(16, 21)]
    assert "<strong>29</strong> add-ons · page 2 of 2" in second
    assert 'href="/?page=2"' in first and 'rel="next"' in first
    assert 'href="/?page=1"' in second and 'rel="prev"' in second


def test_pagination_links_keep_the_filters(client, many_add_ons):
    html = client.get("/?category=development&sort=price_desc").get_data(as_text=True)

    assert len(slugs_in(html)) == 21
    assert "page=2" not in html  # 21 development add-ons fit on one page
    html = client.get("/?sort=name").get_data(as_text=True)
    assert 'href="/?page=2&amp;sort=name"' in html


def test_page_past_the_end_is_404(client, add_ons):
    response = client.get("/?page=2")

    assert response.status_code == 404
    assert "There is no page 2 of these results." in response.get_data(as_text=True)


def test_empty_result_says_so_and_offers_to_clear_filters(client, add_ons):
    html = client.get("/?q=teleportation&category=analytics", headers=HTMX).get_data(as_text=True)

    assert slugs_in(html) == []
    assert "No add-ons match “teleportation” in Analytics" in html
    assert '<a class="btn btn--secondary" href="/" hx-boost="true">Clear filters</a>' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("category=toys", "Category: Not a valid choice."),
        ("sort=cheapest", "Sort by: Not a valid choice."),
        ("page=0", "Page: Number must be between 1 and 10000."),
        ("page=-3", "Page: Number must be between 1 and 10000."),
        ("page=two", "Page: Not a valid integer value."),
        ("page=99999999999999999999", "Page: Number must be between 1 and 10000."),
        ("q=" + "x" * 201, "Search add-ons: Field cannot be longer than 200 characters."),
    ],
)
def test_bad_parameters_are_400_with_a_message(client, add_ons, query, message):
    page = client.get(f"/?{query}")
    partial = client.get(f"/?{query}", headers=HTMX)

    assert page.status_code == partial.status_code == 400
    assert message in page.get_data(as_text=True)
    assert '<h1 id="error-title" class="error-page__title">Bad Request</h1>' in page.get_data(
        as_text=True
    )
    fragment = partial.get_data(as_text=True)
    assert fragment.startswith('<div class="alert alert--error" role="alert">')
    assert message in fragment


def test_query_count_does_not_grow_with_the_page(client, add_ons, bundles, count_queries):
    with count_queries() as small:
        client.get("/")
    with count_queries() as partial:
        client.get("/?q=voice&category=ai-services", headers=HTMX)

    assert 2 <= len(small) <= 4, small  # rows (with total and key features), bundle hints
    assert len(partial) <= 4, partial


def test_query_count_on_a_full_page(client, many_add_ons, bundles, count_queries):
    with count_queries() as full:
        response = client.get("/?sort=price_asc")

    assert len(slugs_in(response.get_data(as_text=True))) == 24
    assert 2 <= len(full) <= 4, full


def test_get_pages_need_no_csrf_token(csrf_client):
    for url in ("/", "/?q=voice", "/bundles"):
        assert csrf_client.get(url).status_code == 200


def test_add_ons_with_feature(session, add_ons):
    found = add_ons_with_feature(session, "gpu_hours")

    assert [add_on.slug for add_on in found] == ["bolt-ai-dev-environment", "gpu-compute-access"]
    assert add_ons_with_feature(session, "gpu_hours", limit=1)[0].slug == "bolt-ai-dev-environment"
    assert add_ons_with_feature(session, "tts_neural_voices") == [add_ons["unicorn-orator-tts"]]
