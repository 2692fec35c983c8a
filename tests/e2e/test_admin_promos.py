"""An admin creates a promo code in Chromium, a shopper uses it at checkout (offline test
payment), and the code's usage page lists the redemption."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.shopper import add_to_cart_and_sign_in_at_checkout


@pytest.fixture
def admin_page(browser: Browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(5_000)
    page.goto("/login")
    page.get_by_label("User id").fill(f"admin-{uuid.uuid4().hex[:6]}")
    page.get_by_label("Administrator").check()
    page.get_by_role("button", name="Sign in").click()
    yield page
    context.close()


def test_a_code_made_in_the_admin_is_used_at_checkout_and_shows_in_its_usage(
    admin_page: Page, page: Page
):
    code = f"E2E{uuid.uuid4().hex[:6].upper()}"
    admin_page.get_by_role("link", name="Admin").click()
    areas = admin_page.get_by_role("navigation", name="Admin areas")
    areas.get_by_role("link", name="Promo codes").click()
    admin_page.get_by_role("link", name="New code").click()
    admin_page.get_by_label("Code", exact=True).fill(code.lower())
    admin_page.get_by_label("Discount", exact=True).select_option("fixed_amount")
    admin_page.get_by_label("Discount value").fill("3.00")
    admin_page.get_by_role("button", name="Create code").click()
    expect(admin_page.get_by_text(f"“{code}” was created.")).to_be_visible()

    add_to_cart_and_sign_in_at_checkout(page, "amanuensis-stt", "e2e-promo")
    page.goto("/cart")
    page.get_by_label("Promo code").fill(code.lower())
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".cart-promo__applied")).to_contain_text("−$3.00")
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_role("heading", name="Test payment")).to_be_visible()
    expect(page.get_by_text("$6.99").first).to_be_visible()
    page.get_by_role("button", name="Pay (test)").click()
    expect(page.get_by_role("heading", name=re.compile("your add-ons are active"))).to_be_visible()

    admin_page.get_by_role("link", name="Usage").click()
    expect(admin_page.get_by_role("heading", name=f"Usage of {code}")).to_be_visible()
    row = admin_page.locator("tbody tr").filter(has_text="Amanuensis - STT")
    expect(row).to_contain_text(re.compile(r"e2e-promo-"))
    expect(row).to_contain_text("$3.00")
    expect(row).to_contain_text("Completed")
    expect(admin_page.get_by_text("1 order line by 1 customer; $3.00 given")).to_be_visible()


def test_the_bundle_form_previews_the_price_as_it_changes(admin_page: Page):
    admin_page.goto("/admin/bundles/new")
    admin_page.get_by_label("Name", exact=True).fill(f"Preview {uuid.uuid4().hex[:4]}")
    admin_page.get_by_role("checkbox", name=re.compile("Unicorn Orator - TTS")).check()
    admin_page.get_by_role("checkbox", name=re.compile("Amanuensis - STT")).check()
    admin_page.get_by_label("Discount value").fill("10")
    admin_page.get_by_label("Discount value").blur()

    preview = admin_page.locator("#bundle-preview")
    expect(preview.locator("tfoot")).to_contain_text("$19.98")  # htmx, on change
    expect(preview.locator("[data-bundle-price]")).to_have_text("$17.98")
    admin_page.get_by_label("Amount off (USD)").check()
    expect(preview.locator("[data-bundle-price]")).to_have_text("$9.98")
    admin_page.get_by_label("Discount value").fill("25")
    admin_page.get_by_role("button", name="Preview").click()
    expect(preview).to_contain_text("The amount off is more than the add-ons cost together")
