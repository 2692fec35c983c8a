"""PostgreSQL stopped or restarting (fast mode) under a served app: a 503 page with
Retry-After, an inline message for htmx, no false "0 items" in the header, no bare 500, and
recovery without restarting the app."""

from __future__ import annotations

import time

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import AddOn
from tests.integration.outages.servers import Shop, serve

UNAVAILABLE = "temporarily unavailable"
RETRY_AFTER = "5"  # seconds, marketplace.errors.RETRY_AFTER_SECONDS
ONE_ITEM = '1<span class="visually-hidden"> item in your cart</span>'


def an_add_on(shop: Shop) -> AddOn:
    with shop.app.app_context():
        add_on = db.session.scalars(select(AddOn).order_by(AddOn.display_order).limit(1)).one()
        db.session.expunge(add_on)
        return add_on


def fill_cart(shop: Shop) -> None:
    """An anonymous shopper with one add-on in the cart (the badge then reads 1)."""
    response = shop.post("/cart/items", {"add_on_id": an_add_on(shop).id, "quantity": 1})
    assert response.status_code == 303
    assert ONE_ITEM in shop.get("/cart").text


def assert_unavailable_page(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == RETRY_AFTER
    assert response.headers["Cache-Control"] == "no-store"
    page = response.text
    assert page.startswith("<!doctype html>") and 'class="error-page"' in page  # the shop's page
    assert UNAVAILABLE in page and "try again in a moment" in page
    assert "Internal Server Error" not in page
    # The header could not read the cart: "Cart" without a number, never "0 items".
    assert "in your cart" not in page
    assert '<span id="cart-badge"' in page


def test_database_down_gives_503_pages_and_recovers_without_restarting(running, shop):
    fill_cart(shop)
    running.stop("fast")

    assert_unavailable_page(shop.get("/cart"))
    assert_unavailable_page(shop.get("/bundles"))

    fragment = shop.get("/cart", htmx=True)
    assert fragment.status_code == 503
    assert fragment.headers["Retry-After"] == RETRY_AFTER
    assert fragment.text.lstrip().startswith('<div class="alert alert--error" role="alert">')
    assert UNAVAILABLE in fragment.text and "<html" not in fragment.text

    badge = shop.get("/cart/badge", htmx=True)
    assert badge.status_code == 200
    assert badge.text.lstrip().startswith('<span id="cart-badge"')
    assert "in your cart" not in badge.text

    ready = shop.get("/readyz")
    assert (ready.status_code, ready.json()) == (503, {"status": "database unavailable"})

    running.start()
    back = time.perf_counter()
    assert shop.get("/readyz").json() == {"status": "ready"}
    cart = shop.get("/cart")
    recovered = time.perf_counter() - back
    assert cart.status_code == 200 and ONE_ITEM in cart.text
    assert recovered < 1.0  # the pool pings and reconnects: the app was never restarted


def test_a_cached_page_served_while_down_does_not_claim_an_empty_cart(running):
    shop = serve(running, CATALOG_CACHE_SECONDS=30)
    try:
        fill_cart(shop)
        assert ONE_ITEM in shop.get("/").text  # the catalog page is now cached
        running.stop("fast")

        page = shop.get("/")

        assert page.status_code == 200  # the catalog from memory; only the count is unknown
        assert "Unicorn Orator" in page.text
        assert "in your cart" not in page.text
    finally:
        shop.close()


def test_a_restart_after_the_last_query_does_not_turn_the_page_into_a_500(running):
    """The restart lands between the view's queries and the session's close at teardown."""
    shop = serve(running)
    stop_after_this_response = []

    @shop.app.after_request
    def restart_the_database(response):
        if stop_after_this_response:
            stop_after_this_response.clear()
            running.stop("fast")  # the request's transaction is still open on its connection
        return response

    try:
        fill_cart(shop)
        stop_after_this_response.append(True)

        page = shop.get("/cart")

        assert page.status_code == 200 and ONE_ITEM in page.text
        running.start()
        assert shop.get("/cart").status_code == 200
    finally:
        shop.close()
