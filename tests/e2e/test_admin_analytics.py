"""The analytics page in Chromium: charts drawn from their tables on load and again after an
htmx range change (URL pushed), no CSP or script error, usable at 360 px."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect


@pytest.fixture
def analytics_page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(5_000)
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/login")
    page.get_by_label("User id").fill(f"admin-{uuid.uuid4().hex[:6]}")
    page.get_by_label("Administrator").check()
    page.get_by_role("button", name="Sign in").click()
    yield page, errors
    context.close()


def charted(page: Page) -> list[str]:
    """The tables whose canvas holds a drawn Chart.js chart."""
    return page.evaluate(
        """() => [...document.querySelectorAll('canvas[data-chart]')]
                 .filter(c => window.Chart.getChart(c))
                 .map(c => c.dataset.table)"""
    )


def test_charts_are_drawn_and_redrawn_after_an_htmx_range_change(analytics_page):
    page, errors = analytics_page
    page.goto("/admin/analytics?range=30d")
    expect(page.get_by_role("heading", name="Analytics", level=1)).to_be_visible()
    expect(page.locator("#analytics-table-mrr tbody tr")).to_have_count(30)
    assert charted(page) == [
        "analytics-table-mrr",
        "analytics-table-revenue",
        "analytics-table-funnel",
    ]

    page.get_by_label("Range", exact=True).select_option("90d")
    expect(page).to_have_url(re.compile(r"/admin/analytics\?range=90d"))
    expect(page.locator("#analytics-table-revenue tbody tr")).to_have_count(14)  # weeks
    assert len(charted(page)) == 3
    assert errors == []


def test_the_page_fits_a_360_px_screen(analytics_page):
    page, errors = analytics_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/admin/analytics?range=12m")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360
    expect(page.get_by_role("link", name="CSV of MRR movements")).to_be_visible()
    assert errors == []
