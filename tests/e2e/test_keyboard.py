"""A shopper who uses only the keyboard buys an add-on: from the catalog to the success page with
Tab, Shift+Tab, Enter and Space (and typing their user id), after a single page load; and what
the swapped-in results say is read out.

Every element that takes focus on the way must show it (an outline on the element or on the
pseudo-element that draws it), and an htmx swap must never drop focus to <body>.
"""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Locator, Page, expect

from tests.e2e import focus
from tests.e2e.shopper import card

MAX_TABS = 80  # more presses than any page here needs to reach anything on it


def check(state: dict, url: str) -> None:
    assert not state["lost"], f"focus fell to <body> on {url}"
    assert state["shows"], f"no visible focus on {state['what']}"


def assert_focus_shows(page: Page) -> None:
    check(focus.current(page), page.url)


def tab_to(page: Page, target: Locator, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab) until `target` has focus, checking the focus ring at every stop."""
    key = "Shift+Tab" if backwards else "Tab"
    wanted = target.element_handle()
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        state = wanted.evaluate(
            f"(wanted) => ({{...({focus.CURRENT})(), reached: wanted === document.activeElement}})"
        )
        check(state, page.url)
        if state["reached"]:
            return
    raise AssertionError(f"{MAX_TABS} × {key} never reached {target} on {page.url}")


def test_a_keyboard_only_shopper_checks_out(page: Page):
    page.goto("/")
    tts = card(page, "unicorn-orator-tts")

    # Add from the catalog: htmx answers in the card and focus stays on the button.
    add = tts.get_by_role("button", name=re.compile("Add to cart"))
    tab_to(page, add)
    page.keyboard.press("Enter")
    expect(tts).to_contain_text("Added")
    expect(page.locator("#cart-badge")).to_contain_text("1")
    expect(add).to_be_focused()
    assert_focus_shows(page)

    # Back up to the header's cart link, and open the cart.
    tab_to(
        page,
        page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("Cart")),
        backwards=True,
    )
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()

    # One more, then one fewer: the cart is swapped each time and focus stays on the button.
    more = page.get_by_role("button", name="One more Unicorn Orator - TTS")
    tab_to(page, more)
    page.keyboard.press("Enter")
    expect(page.locator(".cart-due__amount")).to_have_text("$19.98")
    expect(more).to_be_focused()
    fewer = page.get_by_role("button", name="One fewer Unicorn Orator - TTS")
    tab_to(page, fewer, backwards=True)
    page.keyboard.press("Space")
    expect(page.locator(".cart-due__amount")).to_have_text("$9.99")
    # "One fewer" is disabled at one: focus goes to the cart it was in, not to <body>.
    expect(page.locator("#cart")).to_be_focused()
    assert_focus_shows(page)

    # Check out: sign in first (the development form), and come back to the cart.
    tab_to(page, page.get_by_role("button", name="Checkout"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    user_id = page.get_by_label("User id")
    tab_to(page, user_id)
    page.keyboard.type(f"e2e-keyboard-{uuid.uuid4().hex[:8]}")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()

    tab_to(page, page.get_by_role("button", name="Checkout"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Test payment")).to_be_visible()

    tab_to(page, page.get_by_role("button", name="Pay (test)"))
    page.keyboard.press("Space")
    expect(page.get_by_role("heading", name=re.compile("your add-ons are active"))).to_be_visible()
    expect(page.locator("#cart-badge")).to_contain_text("0")


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(page: Page):
    page.goto("/cart")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    assert_focus_shows(page)

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Browse add-ons")).to_be_focused()


def test_filtering_by_keyboard_reads_out_the_result_not_the_grid(page: Page):
    page.goto("/")
    category = page.get_by_label("Category")
    tab_to(page, category)
    page.keyboard.press("ArrowDown")  # a closed select changes with the arrow keys

    expect(page).to_have_url(re.compile(r"category="))
    announcer = page.locator("#announcer")
    expect(announcer).to_have_text(re.compile(r"^\d+ add-ons? in \w"))
    assert "Clear filters" not in announcer.inner_text()
    expect(category).to_be_focused()  # the grid was swapped, the select kept its focus
    assert page.locator("#catalog-results").get_attribute("aria-live") is None
