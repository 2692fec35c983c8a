"""The cart in Chromium: clearing is confirmed first, the quantity field needs no Update button
under htmx (and has one without JS), and the header names the signed-in shopper."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.shopper import card


def fill_cart(page: Page, *slugs: str) -> None:
    page.goto("/")
    for count, slug in enumerate(slugs, start=1):
        card(page, slug).get_by_role("button", name=re.compile("Add to cart")).click()
        expect(page.locator("#cart-badge")).to_contain_text(str(count))
    page.goto("/cart")


def test_clearing_the_cart_asks_first_and_keeping_it_changes_nothing(page: Page):
    fill_cart(page, "unicorn-orator-tts", "center-deep-pro")
    page.evaluate("window.__noReload = true")

    page.get_by_role("link", name="Clear cart…").click()
    question = page.get_by_role("group", name=re.compile("Clear your cart?"))
    expect(question).to_contain_text("Unicorn Orator - TTS, Center-Deep Pro")
    keep = question.get_by_role("link", name="Keep my cart")
    expect(keep).to_be_focused()  # the safe choice has the focus
    keep.click()
    expect(page.locator("li.cart-line")).to_have_count(2)
    expect(page.locator("#cart-badge")).to_contain_text("2")

    page.get_by_role("link", name="Clear cart…").click()
    page.get_by_role("button", name="Yes, clear my cart").click()
    expect(page.get_by_text("Your cart is empty.", exact=True)).to_be_visible()
    expect(page.locator("#cart-badge")).to_contain_text("0")
    assert page.evaluate("window.__noReload === true"), "the page was reloaded"


def test_the_update_button_hides_under_htmx_and_the_field_submits_on_change(page: Page):
    fill_cart(page, "vector-search-engine")
    expect(page.locator("html")).to_have_class(re.compile("has-htmx"))
    expect(page.get_by_role("button", name="Update")).to_be_hidden()
    expect(page.locator(".cart-line__unit")).to_have_text(re.compile(r"^\$14\.99/mo each"))

    quantity = page.get_by_role("spinbutton", name="Quantity of Vector Search Engine")
    quantity.fill("3")
    quantity.dispatch_event("change")
    expect(page.locator(".cart-due__amount")).to_have_text("$44.97")
    expect(page.locator("#cart-badge")).to_contain_text("3")


def test_without_javascript_the_update_button_and_confirm_page_do_the_work(
    browser: Browser, live_server: str
):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(5_000)
    try:
        page.goto("/")
        card(page, "vector-search-engine").get_by_role(
            "button", name=re.compile("Add to cart")
        ).click()
        page.goto("/cart")
        update = page.get_by_role("button", name="Update")
        expect(update).to_be_visible()
        page.get_by_role("spinbutton", name="Quantity of Vector Search Engine").fill("2")
        update.click()
        expect(page.locator(".cart-due__amount")).to_have_text("$29.98")

        page.get_by_role("link", name="Clear cart…").click()
        expect(page).to_have_url(re.compile(r"/cart/clear$"))
        expect(page.get_by_role("heading", name="Clear your cart?")).to_be_visible()
        page.get_by_role("button", name="Yes, clear my cart").click()
        expect(page).to_have_url(re.compile(r"/cart$"))
        expect(page.get_by_text("Your cart is empty.", exact=True)).to_be_visible()
    finally:
        context.close()


def test_the_header_names_the_signed_in_shopper(page: Page):
    page.goto("/login")
    page.get_by_label("User id").fill("e2e-named-shopper")
    page.get_by_role("button", name="Sign in").click()

    header = page.locator("header.site-header")
    expect(header.locator(".account__name")).to_have_text("e2e-named-shopper")
    expect(header.get_by_text("Signed in as e2e-named-shopper")).to_be_attached()
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()
