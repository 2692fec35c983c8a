"""A shopper in Chromium: filter and search, add to cart, change quantity, apply a promo code."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.shopper import card


def mark_document(page: Page) -> None:
    """Tag the loaded document so a full page load (which would drop the tag) is detectable."""
    page.evaluate("window.__noReload = true")


def assert_no_reload(page: Page) -> None:
    assert page.evaluate("window.__noReload === true"), "the page was reloaded"


def test_filter_and_search_swap_the_grid_and_push_the_url(page: Page):
    page.goto("/")
    mark_document(page)
    expect(page.locator("li.card")).to_have_count(9)

    page.get_by_label("Category").select_option("infrastructure")
    expect(page.locator("li.card")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"category=infrastructure"))
    page.get_by_label("Category").select_option("development")
    expect(page.locator("li.card")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"category=development"))

    page.go_back()
    expect(page).to_have_url(re.compile(r"category=infrastructure"))
    expect(page.locator("li.card")).to_have_count(2)

    page.get_by_label("Category").select_option("")
    page.get_by_label("Search add-ons").fill("voice")
    expect(page).to_have_url(re.compile(r"q=voice"))
    expect(page.locator("li.card")).to_have_count(1)
    expect(card(page, "unicorn-orator-tts")).to_be_visible()

    page.get_by_label("Search add-ons").fill("zzzzqx")
    expect(page.get_by_text("Clear filters")).to_be_visible()
    assert_no_reload(page)


def test_adding_from_the_catalog_updates_the_badge_without_a_reload(page: Page):
    page.goto("/")
    mark_document(page)
    badge = page.locator("#cart-badge")
    expect(badge).to_contain_text("0")

    card(page, "unicorn-orator-tts").get_by_role("button", name=re.compile("Add to cart")).click()
    expect(badge).to_contain_text("1")
    card(page, "bolt-ai-dev-environment").get_by_role(
        "button", name=re.compile("Add to cart")
    ).click()
    expect(badge).to_contain_text("2")
    assert_no_reload(page)


def test_cart_quantity_promo_code_and_removal(page: Page):
    page.goto("/")
    card(page, "gpu-compute-access").get_by_role("button", name=re.compile("Add to cart")).click()
    expect(page.locator("#cart-badge")).to_contain_text("1")

    page.goto("/cart")
    mark_document(page)
    total = page.locator(".cart-due__amount")
    expect(total).to_have_text("$49.99")

    page.get_by_role("button", name="One more GPU Compute Access").click()
    expect(total).to_have_text("$99.98")
    expect(page.locator("#cart-badge")).to_contain_text("2")

    page.get_by_label("Promo code").fill("nosuchcode")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#promo-error")).to_be_visible()
    expect(total).to_have_text("$99.98")

    page.get_by_label("Promo code").fill("launch2025")
    page.get_by_role("button", name="Apply").click()
    expect(total).to_have_text("$79.98")  # 20% off $99.98 = $20.00 (half-up)

    page.get_by_role("button", name=re.compile("Remove")).first.click()
    expect(page.get_by_text(re.compile("cart is empty", re.I))).to_be_visible()
    expect(page.locator("#cart-badge")).to_contain_text("0")
    assert_no_reload(page)
