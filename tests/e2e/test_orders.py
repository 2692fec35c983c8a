"""Orders in the browser: the success page names the order, and at 360 px neither the purchases
page nor the receipt scrolls sideways."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.shopper import add_to_cart_and_sign_in_at_checkout

NUMBER = re.compile(r"MKT-\d{4}-\d{6}")


def scrolls_sideways_by(page: Page) -> int:
    return page.evaluate(
        "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )


def test_orders_fit_a_360_px_screen(page: Page):
    add_to_cart_and_sign_in_at_checkout(page, "unicorn-orator-tts", "e2e-orders")
    page.goto("/cart")
    page.get_by_role("button", name="Checkout").click()
    page.get_by_role("button", name="Pay (test)").click()
    order_line = page.get_by_text(re.compile("Your order number is"))
    expect(order_line).to_contain_text(NUMBER)
    number = NUMBER.search(order_line.inner_text()).group(0)

    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/account/purchases")
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    assert scrolls_sideways_by(page) <= 0

    page.get_by_role("link", name=re.compile(f"^Receipt for order {number}")).click()
    expect(page.get_by_role("heading", name=f"Receipt {number}")).to_be_visible()
    assert scrolls_sideways_by(page) <= 0
