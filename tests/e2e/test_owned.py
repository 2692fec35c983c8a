"""A shopper who holds an add-on sees "Owned — manage" for it, and "Add to cart" for the rest."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.shopper import add_to_cart_and_sign_in_at_checkout, card

OWNED = re.compile("Owned — manage")
ADD = re.compile("Add to cart")


def test_held_add_ons_say_owned_on_cards_and_product_pages(page: Page):
    add_to_cart_and_sign_in_at_checkout(page, "presenton-presentations", "e2e-owner")
    page.goto("/cart")
    page.get_by_role("button", name="Checkout").click()
    page.get_by_role("button", name="Pay (test)").click()
    expect(page.get_by_role("heading", name=re.compile("your add-ons are active"))).to_be_visible()

    page.goto("/")
    held = card(page, "presenton-presentations")
    expect(held.get_by_role("link", name=OWNED)).to_be_visible()
    expect(held.get_by_role("button", name=ADD)).to_have_count(0)
    other = card(page, "unicorn-orator-tts")
    expect(other.get_by_role("button", name=ADD)).to_be_visible()
    expect(other.get_by_role("link", name=OWNED)).to_have_count(0)

    # Filtering swaps the grid by htmx: the held card still says so.
    page.get_by_label("Category").select_option("productivity")
    expect(page).to_have_url(re.compile(r"category=productivity"))
    expect(card(page, "presenton-presentations").get_by_role("link", name=OWNED)).to_be_visible()

    page.goto("/add-ons/unicorn-orator-tts")
    expect(page.get_by_role("button", name=ADD)).to_be_visible()
    page.goto("/add-ons/presenton-presentations")
    expect(page.get_by_role("button", name=ADD)).to_have_count(0)
    page.get_by_role("link", name=OWNED).click()
    expect(page).to_have_url(re.compile(r"/account/add-ons/[0-9a-f-]{36}$"))
    expect(page.get_by_text("Presenton", exact=False).first).to_be_visible()


def test_an_anonymous_shopper_sees_add_to_cart_everywhere(page: Page):
    page.goto("/")
    expect(page.get_by_role("link", name=OWNED)).to_have_count(0)
    expect(card(page, "presenton-presentations").get_by_role("button", name=ADD)).to_be_visible()
