"""An admin refunds a shopper's order in Chromium (with the confirm step, axe-checked, at 360 px
too), and the shopper's add-on shows suspended on their account page."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.e2e import axe


def test_an_admin_refunds_an_order_and_the_add_on_shows_suspended(page: Page, browser, live_server):
    user_id = f"e2e-refunded-{uuid.uuid4().hex[:8]}"
    page.goto("/login")
    page.get_by_label("User id").fill(user_id)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/add-ons/unicorn-orator-tts")
    page.get_by_role("button", name=re.compile("Add to cart")).click()
    expect(page.locator("#cart-badge")).to_contain_text("1")
    page.goto("/cart")
    page.get_by_role("button", name="Checkout").click()
    page.get_by_role("button", name="Pay (test)").click()
    expect(page.get_by_role("heading", name=re.compile("your add-ons are active"))).to_be_visible()

    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    admin = context.new_page()
    admin.set_default_timeout(5_000)
    admin.goto("/login")
    admin.get_by_label("User id").fill(f"admin-{uuid.uuid4().hex[:6]}")
    admin.get_by_label("Administrator").check()
    admin.get_by_role("button", name="Sign in").click()
    admin.goto(f"/admin/orders/?user_id={user_id}")
    admin.locator("table").get_by_role("link", name=re.compile(r"^MKT-")).first.click()

    refund = admin.locator("#refund")
    line = "Unicorn Orator - TTS — $9.99 left"
    refund.get_by_label("Refund", exact=True).select_option(label=line)
    refund.get_by_label(re.compile("^Reason")).fill("Did not suit them")
    found = axe.blocking(axe.violations(admin))
    assert not found, axe.describe(found)
    refund.get_by_role("button", name="Review the refund").click()
    # htmx swapped the panel for its confirm step; nothing is refunded yet.
    expect(refund.get_by_role("heading", name="Confirm the refund")).to_be_visible()
    admin.set_viewport_size({"width": 360, "height": 800})
    found = axe.blocking(axe.violations(admin))
    assert not found, axe.describe(found)
    expect(admin).to_have_url(re.compile(r"/admin/orders/[0-9a-f-]+$"))
    refund.get_by_role("button", name="Yes, refund $9.99").click()
    expect(
        admin.get_by_text("Refunded $9.99: the shopper gets an e-mail saying so.")
    ).to_be_visible()
    expect(admin.get_by_role("cell", name="Did not suit them", exact=True)).to_be_visible()
    context.close()

    page.goto("/account/add-ons")
    subscription = page.locator("li.subscription").filter(has_text="Unicorn Orator - TTS")
    expect(subscription).to_contain_text(re.compile("suspended", re.I))
