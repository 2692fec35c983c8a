"""Storefront rough edges, over HTTP: clearing the cart is confirmed first, a unit price says its
period once, the test payment's notice informs, the header names the shopper, and a card's
"+N more" bundles link to the product page's bundles."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from marketplace.config import PROJECT_ROOT
from marketplace.models import CartItem
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.shoppers import ANON_OWNER, HX, set_session, sign_in
from tests.integration.storefront.pages import card_html


def visible_text(html: str) -> str:
    without_hidden = re.sub(r'<span class="visually-hidden">.*?</span>', "", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", "", without_hidden).split())


def lines_in_cart(session, owner=ANON_OWNER) -> int:
    return session.scalar(
        select(func.count()).select_from(CartItem).where(CartItem.user_id == owner)
    )


def test_the_cart_offers_clearing_as_a_step_not_a_button_that_empties_it(
    anonymous_client, cart_with_bundle
):
    html = anonymous_client.get("/cart").text

    assert 'action="/cart/clear"' not in html
    assert '<a class="btn btn--link" href="/cart/clear" hx-get="/cart/clear"' in html
    assert 'hx-target="#cart-actions" hx-swap="innerHTML">Clear cart…</a>' in html


def test_without_js_clearing_asks_on_a_page_of_its_own(anonymous_client, session, cart_with_bundle):
    response = anonymous_client.get("/cart/clear")

    assert response.status_code == 200
    html = response.text
    assert "<title>Clear your cart? · Extensions Marketplace</title>" in html
    assert (
        "Clear your cart? This takes Unicorn Orator - TTS, Amanuensis - STT, "
        "Presenton - Presentations out of it."
    ) in visible_text(html)
    form = re.search(r'<form class="clear-confirm__actions".*?</form>', html, re.S).group(0)
    assert 'method="post" action="/cart/clear"' in form and "hx-post" not in form
    assert '<a class="btn btn--secondary btn--small" href="/cart">Keep my cart</a>' in form
    assert lines_in_cart(session) == 3  # asking changes nothing

    confirmed = anonymous_client.post("/cart/clear")
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/cart"
    assert lines_in_cart(session) == 0


def test_with_htmx_the_confirm_step_replaces_the_link_and_posts_into_the_cart(
    anonymous_client, cart_with_bundle
):
    response = anonymous_client.get("/cart/clear", headers=HX)

    assert response.status_code == 200
    html = response.text
    assert "<html" not in html
    assert 'role="group" aria-labelledby="clear-confirm-question"' in html
    assert 'hx-post="/cart/clear" hx-target="#cart" hx-swap="outerHTML"' in html
    # Focus lands on the safe choice.
    assert 'hx-get="/cart" hx-target="#cart" hx-swap="outerHTML" autofocus>Keep my cart</a>' in html


def test_an_empty_cart_has_nothing_to_clear(anonymous_client):
    assert anonymous_client.get("/cart/clear").headers["Location"] == "/cart"
    assert anonymous_client.get("/cart/clear", headers=HX).headers["HX-Redirect"] == "/cart"


def test_the_update_button_is_marked_for_the_no_js_path_only(anonymous_client, cart_with_bundle):
    html = anonymous_client.get("/cart").text

    assert html.count('class="btn btn--link btn--small qty__update">Update</button>') == 3
    assert 'hx-trigger="change, submit"' in html
    assert '<script src="/static/js/enhance.js" defer></script>' in html
    # The browser test sees it hidden under htmx (tests/e2e/test_cart_steps.py).
    css = (PROJECT_ROOT / "static/css/app.css").read_text()
    assert re.search(r"\.has-htmx \.qty__update \{\s*display: none;", css)


def test_a_unit_price_says_its_period_once(anonymous_client, session, catalog):
    put_in_cart(session, ANON_OWNER, catalog.tts)

    text = visible_text(anonymous_client.get("/cart").text)

    assert "$9.99/mo each" in text
    assert "per month" not in text


def test_a_one_time_unit_price_says_so_in_words(anonymous_client, session, catalog):
    catalog.documents.billing_type = "one_time"
    session.commit()
    put_in_cart(session, ANON_OWNER, catalog.documents)

    text = visible_text(anonymous_client.get("/cart").text)

    assert "$12.99 each · one-time payment" in text


def test_the_header_names_the_signed_in_shopper(client):
    sign_in(client, "kc-1234")
    html = client.get("/").text
    assert '<span class="account__name">kc-1234</span>' in html

    set_session(client, user={"id": "kc-1234", "tier": None, "is_admin": False, "name": "Ada"})
    html = client.get("/").text
    assert (
        '<span class="visually-hidden">Signed in as </span><span class="account__name">Ada</span>'
        in html
    )
    assert '<span class="avatar" aria-hidden="true">A</span>' in html
    assert 'action="/logout"' in html and ">Sign out</button>" in html


def test_more_bundle_hints_link_to_the_product_pages_bundles(client, catalog):
    card = card_html(client.get("/").text, "unicorn-orator-tts")

    more = re.search(r'<a class="bundle-hint__more" href="([^"]+)">(.*?)</a>', card, re.S)
    assert more is not None
    assert more.group(1) == "/add-ons/unicorn-orator-tts#bundles"
    assert visible_text(more.group(2)) == "+1 more"
    assert "bundle with Unicorn Orator - TTS" in more.group(2)
    product = client.get(more.group(1).split("#")[0]).text
    assert '<section class="panel" id="bundles"' in product
    assert "Enterprise Suite" in product and "AI Productivity Bundle" in product
