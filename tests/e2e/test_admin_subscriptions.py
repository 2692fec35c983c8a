"""An admin in Chromium grants a shopper a complimentary add-on, then cancels it after the
confirm step; the audit page lists both."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect


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


def test_an_admin_grants_a_free_add_on_then_cancels_it_and_the_audit_lists_both(
    admin_page: Page,
):
    page = admin_page
    user_id = f"gift-{uuid.uuid4().hex[:6]}"
    page.get_by_role("link", name="Admin").click()
    areas = page.get_by_role("navigation", name="Admin areas")
    areas.get_by_role("link", name="Subscriptions").click()
    page.get_by_role("link", name="Grant a complimentary add-on").click()

    page.get_by_label("User id").fill(user_id)
    stt = page.locator("#add_on_id option", has_text="Amanuensis - STT").get_attribute("value")
    page.get_by_label("Add-on").select_option(stt)
    page.get_by_label("Free until (UTC)").fill("2030-01-31T12:00")
    page.get_by_role("button", name="Grant").click()
    expect(page.get_by_text("Say why (the audit log and the order keep it).")).to_be_visible()
    page.get_by_label("Reason").fill("Conference speaker")
    page.get_by_role("button", name="Grant").click()
    expect(page.get_by_text(f"Amanuensis - STT was granted free to {user_id}")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("2030-01-31 12:00")
    expect(page.get_by_text("Complimentary, granted by")).to_be_visible()

    page.get_by_role("link", name="Cancel…").click()
    expect(
        page.get_by_role("heading", name=re.compile("Cancel “Amanuensis - STT of"))
    ).to_be_visible()
    page.get_by_label("Reason (optional)").fill("Talk withdrawn")
    page.get_by_role("button", name="Yes, cancel").click()
    expect(page.get_by_text("Amanuensis - STT was cancelled.")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Talk withdrawn")
    expect(page.locator("#history")).to_contain_text("subscription.cancel")

    page.goto(f"/admin/subscriptions/?q={user_id}")
    expect(page.locator("#subscription-results")).to_contain_text("Cancelled")
    page.goto("/admin/audit/?object_type=subscription")
    results = page.locator("#audit-results")
    expect(results).to_contain_text("subscription.grant")
    expect(results).to_contain_text("subscription.cancel")
    expect(results).to_contain_text("Conference speaker")
    expect(results).to_contain_text("Talk withdrawn")


@pytest.mark.parametrize("path", ["/admin/subscriptions/", "/admin/subscriptions/grant"])
def test_subscription_pages_fit_a_360_px_screen(admin_page: Page, path: str):
    page = admin_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(path)

    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
