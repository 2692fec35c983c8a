"""A signed-in shopper's own add-ons show "Owned — manage" on the shared, cached catalog pages."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.database import recorded_statements
from tests.fixtures.identity import subscribe
from tests.fixtures.shoppers import sign_in
from tests.integration.storefront.pages import card_html, forget_request_token, install_cache

HTMX = {"HX-Request": "true"}
OWNED = "Owned — manage"


@pytest.fixture
def cache(app):
    cache, _clock = install_cache(app)
    return cache


@pytest.fixture
def holds_gpu(session, add_ons):
    """user-1 holds GPU Compute Access; user-2 holds Unicorn Orator."""
    subscribe(session, "user-2", add_ons["unicorn-orator-tts"])
    return subscribe(session, "user-1", add_ons["gpu-compute-access"])


def manage_link(subscription) -> str:
    return f'href="/account/add-ons/{subscription.id}"'


def html_of(client, url: str, **headers: str) -> str:
    forget_request_token()
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_cards_of_held_add_ons_link_to_the_subscription(client, cache, holds_gpu):
    sign_in(client, "user-1")

    for html in (html_of(client, "/"), html_of(client, "/?page=1", **HTMX)):
        gpu = card_html(html, "gpu-compute-access")
        assert OWNED in gpu and manage_link(holds_gpu) in gpu
        assert "Add to cart" not in gpu and "/cart/items" not in gpu
        # user-2's add-on is not user-1's.
        assert "Add to cart" in card_html(html, "unicorn-orator-tts")
        assert html.count(OWNED) == 1


def test_the_product_page_of_a_held_add_on_links_to_the_subscription(client, cache, holds_gpu):
    sign_in(client, "user-1")

    held = html_of(client, "/add-ons/gpu-compute-access")
    other = html_of(client, "/add-ons/unicorn-orator-tts")

    assert OWNED in held and manage_link(holds_gpu) in held
    assert 'name="quantity"' not in held
    assert OWNED not in other and "Add to cart" in other


def test_the_shared_cache_keeps_no_shoppers_holdings(client, app, cache, holds_gpu):
    sign_in(client, "user-1")
    assert OWNED in html_of(client, "/")
    assert OWNED in html_of(client, "/add-ons/gpu-compute-access")

    anonymous = app.test_client()
    for url in ("/", "/add-ons/gpu-compute-access"):
        html = html_of(anonymous, url)
        assert OWNED not in html and "Add to cart" in html
    sign_in(anonymous, "user-2")
    assert "Add to cart" in card_html(html_of(anonymous, "/"), "gpu-compute-access")


@pytest.mark.parametrize(
    ("status", "expires_in_days"), [("cancelled", 30), ("expired", -1), ("active", -1)]
)
def test_ended_subscriptions_show_add_to_cart(client, session, add_ons, status, expires_in_days):
    subscribe(session, "user-1", add_ons["gpu-compute-access"], status=status,
              expires_in_days=expires_in_days)  # fmt: skip
    sign_in(client, "user-1")

    assert OWNED not in html_of(client, "/add-ons/gpu-compute-access")


def test_anonymous_shoppers_cost_no_holdings_query(client, cache, holds_gpu):
    html_of(client, "/")  # fill the cache
    with recorded_statements() as anonymous:
        html_of(client, "/")
        html_of(client, "/add-ons/gpu-compute-access")
    sign_in(client, "user-1")
    html_of(client, "/add-ons/gpu-compute-access")  # fill the cache for this page
    with recorded_statements() as signed_in:
        html_of(client, "/")

    assert not any("user_add_ons" in s for s in anonymous)
    assert len([s for s in signed_in if re.search(r"FROM user_add_ons", s)]) == 1


def test_adding_a_held_add_on_is_refused_with_the_reason(client, add_ons, holds_gpu):
    sign_in(client, "user-1")
    response = client.post(
        "/cart/items", data={"add_on_id": str(add_ons["gpu-compute-access"].id)}, headers=HTMX
    )

    assert response.status_code == 409
    assert "You already own GPU Compute Access" in response.get_data(as_text=True)
