"""What a shopper does in the browser, shared by the browser tests."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Locator, Page, expect


def card(page: Page, slug: str) -> Locator:
    """The catalog card of the add-on `slug`."""
    return page.locator(f'li.card[data-add-on="{slug}"]')


def add_to_cart_and_sign_in_at_checkout(page: Page, slug: str, user_prefix: str) -> None:
    """Add `slug` from its page, check out anonymously and sign in as a new user when asked."""
    page.goto(f"/add-ons/{slug}")
    page.get_by_role("button", name=re.compile("Add to cart")).click()
    expect(page.locator("#cart-badge")).to_contain_text("1")
    page.goto("/cart")
    page.get_by_role("button", name="Checkout").click()
    # Checkout needs a signed-in user; the development sign-in brings the cart along.
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("User id").fill(f"{user_prefix}-{uuid.uuid4().hex[:8]}")
    page.get_by_role("button", name="Sign in").click()
