"""The Content-Security-Policy in Chromium: htmx keeps working under it and nothing the pages do
is refused (no inline script, handler or style), from the catalog to a printed receipt."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.e2e.shopper import add_to_cart_and_sign_in_at_checkout, card

# Runs in every document before its own scripts: reports each violation to the console, where
# the test collects it (Chromium also logs its own "Refused to …" line).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  console.error(`CSP violation: ${event.violatedDirective} blocked ${blocked}`);
});
window.print = () => { window.__printed = (window.__printed || 0) + 1; };
"""


@pytest.fixture
def console(page: Page) -> list[str]:
    """Every console error and warning the pages log, with CSP violations reported there."""
    messages: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            messages.append(message.text)

    page.on("console", collect)
    page.on("pageerror", lambda error: messages.append(f"uncaught: {error}"))
    page.add_init_script(REPORT_VIOLATIONS)
    return messages


def test_the_policy_blocks_an_inline_script_and_the_test_sees_it(page: Page, console):
    """The check below is live: an inline script is refused and reported."""
    page.goto("/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__inline = true";
          document.body.append(script);
        }"""
    )

    expect(page.locator("body")).to_be_visible()
    assert page.evaluate("window.__inline === undefined")
    assert any("CSP violation: script-src" in message for message in console)


def test_htmx_swaps_under_the_policy_without_a_violation(page: Page, console):
    response = page.goto("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    page.evaluate("window.__noReload = true")

    # Filter: htmx swaps the results grid in place.
    page.get_by_label("Category").select_option("infrastructure")
    expect(page.locator("li.card")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"category=infrastructure"))
    # Add to cart: the card's form swaps to "Added", and the badge refreshes on the event.
    card(page, "gpu-compute-access").get_by_role("button", name=re.compile("Add to cart")).click()
    expect(card(page, "gpu-compute-access")).to_contain_text("Added")
    expect(page.locator("#cart-badge")).to_contain_text("1")

    assert page.evaluate("window.__noReload === true"), "the page was reloaded"
    assert console == []
    # htmx was told not to inject its indicator styles (the policy would refuse them).
    assert page.locator("head style").count() == 0


def test_checkout_sign_in_and_a_printed_receipt_without_a_violation(page: Page, console):
    add_to_cart_and_sign_in_at_checkout(page, "unicorn-orator-tts", "e2e-csp")
    page.goto("/cart")
    page.get_by_role("button", name="Checkout").click()
    page.get_by_role("button", name="Pay (test)").click()
    expect(page.get_by_role("heading", name=re.compile("your add-ons are active"))).to_be_visible()

    page.goto("/account/purchases")
    page.get_by_role("link", name=re.compile("^Receipt")).first.click()
    expect(page.get_by_role("heading", name="Receipt")).to_be_visible()
    page.get_by_role("button", name="Print").click()

    page.wait_for_function("window.__printed === 1")
    assert console == []


def test_the_api_reference_renders_under_the_policy(page: Page, console):
    page.goto("/api/docs")

    expect(
        page.get_by_role("heading", name=re.compile("Extensions Marketplace API"))
    ).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() >= 30  # every operation of the document
    assert console == []
