"""A shopper buys an add-on through the offline test payment and finds it in "My add-ons"."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.shopper import add_to_cart_and_sign_in_at_checkout


def test_buy_with_the_offline_provider_and_see_the_add_on_in_my_add_ons(page: Page):
    add_to_cart_and_sign_in_at_checkout(page, "unicorn-orator-tts", "e2e-buyer")
    expect(page.locator("#cart-badge")).to_contain_text("1")

    page.goto("/cart")
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_role("heading", name="Test payment")).to_be_visible()
    expect(page.get_by_text("$9.99").first).to_be_visible()
    page.get_by_role("button", name="Pay (test)").click()

    expect(page.get_by_role("heading", name=re.compile("your add-ons are active"))).to_be_visible()
    expect(page.locator("#cart-badge")).to_contain_text("0")

    page.goto("/account/add-ons")
    subscription = page.locator("article, li").filter(has_text="Unicorn Orator - TTS").first
    expect(subscription).to_be_visible()
    expect(subscription).to_contain_text(re.compile("active", re.I))
