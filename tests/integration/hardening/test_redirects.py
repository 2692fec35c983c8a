"""Redirects built from input (the Referer of a no-JS add to cart, `next=` of sign-in) only
ever go to a path on this site, normalised."""

from __future__ import annotations

import pytest

from marketplace.redirects import safe_local_path
from tests.fixtures.shoppers import sign_in

# (Referer as sent, where the no-JS add sends the shopper back)
REFERRERS = [
    ("http://localhost/add-ons/bolt?x=1", "/add-ons/bolt?x=1"),  # this site: back there
    ("https://localhost/?category=productivity#top", "/?category=productivity"),
    ("http://localhost/add-ons/./bolt", "/add-ons/bolt"),
    ("http://localhost/a/../add-ons/bolt", "/add-ons/bolt"),
    ("http://localhost//evil.example/x", "/cart"),  # was a protocol-relative Location
    ("http://localhost///evil.example/x", "/cart"),
    ("http://localhost/\\evil.example", "/cart"),
    ("http://localhost/%2e%2e//evil.example", "/cart"),
    ("http://localhost/a/../..//evil.example", "/cart"),
    ("http://localhost/.//evil.example", "/cart"),
    ("//evil.example/x", "/cart"),
    ("/\\evil.example", "/cart"),
    ("https://evil.example/phish", "/cart"),
    ("https://evil.example@localhost/x", "/cart"),
    ("http://localhost:8080/x", "/cart"),
    ("http://localhost.evil.example/x", "/cart"),
    ("javascript:alert(1)", "/cart"),
    ("data:text/html,<script>alert(1)</script>", "/cart"),
    ("ftp://localhost/x", "/cart"),
    ("http://[::1", "/cart"),  # unparsable
    ("", "/cart"),
]


@pytest.mark.parametrize(("referrer", "location"), REFERRERS)
def test_a_no_js_add_goes_back_only_to_a_page_of_this_site(
    anonymous_client, catalog, referrer, location
):
    response = anonymous_client.post(
        "/cart/items", data={"add_on_id": str(catalog.bolt.id)}, headers={"Referer": referrer}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == location


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/cart?x=1", "/cart?x=1"),
        (
            "/account/purchases?status=completed&page=2",
            "/account/purchases?status=completed&page=2",
        ),
        ("/add-ons/bolt#features", "/add-ons/bolt#features"),
        ("/a/b/../c", "/a/c"),
        ("/a/b/..", "/a/"),
        ("/..", "/"),
        ("//evil.example/", "/"),
        ("///evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/x\\y", "/"),
        ("/.//evil.example", "/"),
        ("/a/../..//evil.example", "/"),
        ("/%2E%2E//evil.example", "/"),
        ("/x\ty", "/"),
        ("/x\r\nSet-Cookie: a=b", "/"),
        ("/x\x00", "/"),
        ("https://evil.example/", "/"),
        ("http:/evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("cart", "/"),
        ("//[", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_safe_local_path(target, expected):
    assert safe_local_path(target) == expected


@pytest.mark.parametrize(
    ("next_url", "location"),
    [
        ("/account/purchases?status=completed", "/account/purchases?status=completed"),
        ("/a/../cart", "/cart"),
        ("/.//evil.example", "/"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
    ],
)
def test_dev_sign_in_follows_next_only_on_this_site(client, next_url, location):
    form = client.get("/login", query_string={"next": next_url}).get_data(as_text=True)
    assert f'name="next" type="hidden" value="{location}"' in form

    response = client.post("/login", data={"user_id": "someone", "next": next_url})

    assert response.status_code == 303
    assert response.headers["Location"] == location


@pytest.mark.parametrize(
    ("next_url", "location"),
    [("/cart", "/cart"), ("/a/./b", "/a/b"), ("/\\evil.example", "/"), ("/.//x", "/")],
)
def test_a_signed_in_shopper_at_login_goes_to_next_on_this_site(client, next_url, location):
    sign_in(client)

    response = client.get("/login", query_string={"next": next_url})

    assert response.status_code == 302
    assert response.headers["Location"] == location
