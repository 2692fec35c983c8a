"""The add-on list: search, filters, sorts and keyset pages, every state in its URL."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from marketplace.models import AddOn

LIST = "/admin/catalog/add-ons"
HX = {"HX-Request": "true"}


def names_in(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/admin/catalog/add-ons/[^"]+">([^<]+)</a>', html)


def next_link(html: str) -> str | None:
    match = re.search(r'href="([^"]+)" hx-get="[^"]+"[^>]*>Next page', html)
    return match.group(1).replace("&amp;", "&") if match else None


@pytest.fixture
def many(session) -> list[AddOn]:
    """120 add-ons: "Item 000"…"Item 119", prices cycling over 10 values (ties to break)."""
    rows = [
        AddOn(
            name=f"Item {n:03}",
            slug=f"item-{n:03}",
            category="analytics" if n % 2 else "development",
            base_price=Decimal(n % 10),
            billing_type="annual" if n % 3 == 0 else "monthly",
            is_active=n % 4 != 0,
        )
        for n in range(120)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def test_keyset_pages_walk_every_add_on_once(admin_client, many):
    seen, url = [], f"{LIST}?sort=price_desc"
    while url:
        html = admin_client.get(url).text
        seen += names_in(html)
        url = next_link(html)

    assert len(seen) == 120 and len(set(seen)) == 120
    prices = [Decimal(int(name[-3:]) % 10) for name in seen]
    assert prices == sorted(prices, reverse=True)


def test_filters_and_search(admin_client, many):
    html = admin_client.get(f"{LIST}?category=analytics&status=inactive&billing_type=annual").text
    expected = [f"Item {n:03}" for n in range(120) if n % 2 and n % 4 == 0 and n % 3 == 0]
    assert names_in(html) == expected  # none: odd numbers are never multiples of 4

    html = admin_client.get(f"{LIST}?status=inactive&billing_type=annual&sort=name").text
    assert names_in(html) == [f"Item {n:03}" for n in range(0, 120, 12)]

    assert names_in(admin_client.get(f"{LIST}?q=item-11").text) == [
        f"Item {n:03}" for n in range(110, 120)
    ]
    assert names_in(admin_client.get(f"{LIST}?q=50%25").text) == []  # % is a character


def test_the_partial_is_the_results_alone_and_links_keep_the_filters(admin_client, many):
    page = admin_client.get(f"{LIST}?category=development&sort=name")
    partial = admin_client.get(f"{LIST}?category=development&sort=name", headers=HX)

    assert "<html" in page.text and "<html" not in partial.text
    assert "HX-Request" in partial.headers["Vary"]
    assert names_in(partial.text) == names_in(page.text)
    link = next_link(partial.text)
    assert "category=development" in link and "sort=name" in link and "after=" in link
    assert 'hx-push-url="true"' in partial.text


@pytest.mark.parametrize(
    "query",
    ["sort=random", "status=deleted", "after=garbage", "sort=price_asc&after=abc~not-a-uuid"],
)
def test_a_bad_list_state_is_a_400(admin_client, query):
    assert admin_client.get(f"{LIST}?{query}").status_code == 400


def test_an_empty_list_says_so(admin_client):
    assert "No add-on matches these filters." in admin_client.get(f"{LIST}?q=zzz").text
