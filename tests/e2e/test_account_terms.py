"""My add-ons in Chromium: a locked auto-renew switch says why, cancelling says what happens."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.shopper import card


def buy_together(page: Page, *slugs: str) -> None:
    """Buy `slugs` in one checkout (one shared subscription) as a new user, by test payment."""
    page.goto("/")
    for count, slug in enumerate(slugs, start=1):
        card(page, slug).get_by_role("button", name=re.compile("Add to cart")).click()
        expect(page.locator("#cart-badge")).to_contain_text(str(count))
    page.goto("/cart")
    page.get_by_role("button", name="Checkout").click()
    page.get_by_label("User id").fill(f"e2e-terms-{uuid.uuid4().hex[:8]}")
    page.get_by_role("button", name="Sign in").click()
    page.goto("/cart")
    page.get_by_role("button", name="Checkout").click()
    page.get_by_role("button", name="Pay (test)").click()
    expect(page.get_by_role("heading", name=re.compile("your add-ons are active"))).to_be_visible()


def test_a_shared_subscription_locks_its_switch_with_the_reason_shown(page: Page):
    buy_together(page, "unicorn-orator-tts", "amanuensis-stt")
    page.goto("/account/add-ons")
    row = page.locator("li.subscription").filter(has_text="Unicorn Orator - TTS")
    switch = row.get_by_role("switch", name=re.compile("Auto-renew"))
    expect(switch).to_be_enabled()
    expect(switch).to_have_attribute("aria-checked", "true")
    # Before the click, the shopper is told switching off can't be undone here.
    expect(row.locator(".subscription__note")).to_contain_text("can't be switched back on")

    switch.click()

    row = page.locator("li.subscription").filter(has_text="Unicorn Orator - TTS")
    switch = row.get_by_role("switch", name=re.compile("Auto-renew"))
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(switch).to_be_disabled()
    note = row.locator(".subscription__note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("renews with a new checkout once it runs out on")
    # The reason is the switch's description for assistive technology.
    note_id = note.get_attribute("id")
    expect(switch).to_have_attribute("aria-describedby", note_id or "")
    expect(switch).to_have_accessible_description(re.compile("can't be switched back on here"))


def test_cancel_says_what_happens_before_the_shopper_confirms(page: Page):
    buy_together(page, "presenton-presentations")
    page.goto("/account/add-ons")
    row = page.locator("li.subscription").filter(has_text="Presenton - Presentations")
    row.get_by_role("link", name=re.compile("Cancel")).click()

    confirm = page.locator("li.subscription--confirm")
    expect(confirm.get_by_role("heading", name="Cancel Presenton - Presentations?")).to_be_visible()
    terms = confirm.locator(".cancel-form__facts")
    expect(terms).to_contain_text("Access ends at once.")
    expect(terms).to_contain_text(
        re.compile(r"No refund is issued for the time left until \d+ \w+ \d{4}")
    )
    expect(terms).to_contain_text("It won't renew.")
    expect(confirm.get_by_role("button", name="Yes, cancel it")).to_have_accessible_description(
        re.compile("Access ends at once")
    )

    confirm.get_by_role("button", name=re.compile("Stop renewal, keep it until")).click()
    row = page.locator("li.subscription").filter(has_text="Presenton - Presentations")
    expect(row).to_contain_text("won't renew now")
    expect(row.get_by_role("switch", name=re.compile("Auto-renew"))).to_have_attribute(
        "aria-checked", "false"
    )
