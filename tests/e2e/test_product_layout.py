"""The product page in Chromium: on a phone the title comes before the price box."""

from __future__ import annotations

from playwright.sync_api import Browser, expect


def test_at_360_px_the_title_is_above_the_price_box(browser: Browser, live_server: str):
    context = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        page.goto("/add-ons/unicorn-orator-tts")
        title = page.get_by_role("heading", level=1, name="Unicorn Orator - TTS")
        price_box = page.locator(".buy-box")
        expect(title).to_be_visible()
        expect(price_box).to_be_visible()

        title_box, buy_box = title.bounding_box(), price_box.bounding_box()
        assert title_box is not None and buy_box is not None
        assert title_box["y"] + title_box["height"] <= buy_box["y"]
        # Nothing scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


def test_on_a_wide_screen_the_price_box_sits_beside_the_title(browser: Browser, live_server: str):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto("/add-ons/unicorn-orator-tts")
        title_box = page.get_by_role("heading", level=1).bounding_box()
        buy_box = page.locator(".buy-box").bounding_box()
        assert title_box is not None and buy_box is not None
        assert buy_box["x"] >= title_box["x"] + title_box["width"]
        assert buy_box["y"] < title_box["y"] + title_box["height"]
    finally:
        context.close()
