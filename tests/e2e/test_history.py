"""Back and forward after filtering: the controls always show the state in the URL."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

ANALYTICS = ["center-deep-pro"]
INFRASTRUCTURE = ["vector-search-engine", "gpu-compute-access"]


def slugs(page: Page) -> list[str]:
    return page.locator("li.card").evaluate_all("cards => cards.map(c => c.dataset.addOn)")


def expect_grid(page: Page, expected: list[str]) -> None:
    expect(page.locator("li.card")).to_have_count(len(expected))
    assert sorted(slugs(page)) == sorted(expected)


def test_back_and_forward_restore_the_controls_with_the_grid(page: Page):
    page.goto("/")
    category = page.get_by_label("Category")
    category.select_option("analytics")
    expect(page).to_have_url(re.compile(r"category=analytics"))
    expect_grid(page, ANALYTICS)
    category.select_option("infrastructure")
    expect(page).to_have_url(re.compile(r"category=infrastructure"))
    expect_grid(page, INFRASTRUCTURE)

    page.go_back()
    expect(page).to_have_url(re.compile(r"category=analytics"))
    expect(page.get_by_label("Category")).to_have_value("analytics")
    expect_grid(page, ANALYTICS)

    page.go_forward()
    expect(page).to_have_url(re.compile(r"category=infrastructure"))
    expect(page.get_by_label("Category")).to_have_value("infrastructure")
    expect_grid(page, INFRASTRUCTURE)

    page.go_back()
    expect(page.get_by_label("Category")).to_have_value("analytics")
    # Changing the sort now keeps the category the page shows.
    page.get_by_label("Sort by").select_option("price_desc")
    expect(page).to_have_url(re.compile(r"sort=price_desc"))
    expect(page).to_have_url(re.compile(r"category=analytics"))
    expect(page.get_by_label("Category")).to_have_value("analytics")
    expect_grid(page, ANALYTICS)


def test_back_to_a_search_restores_the_search_box(page: Page):
    page.goto("/")
    search = page.get_by_label("Search add-ons")
    search.fill("gpu")
    expect(page).to_have_url(re.compile(r"q=gpu"))
    expect_grid(page, ["gpu-compute-access", "bolt-ai-dev-environment"])
    page.get_by_label("Category").select_option("infrastructure")
    expect(page).to_have_url(re.compile(r"category=infrastructure"))
    expect_grid(page, ["gpu-compute-access"])

    page.go_back()
    expect(page).to_have_url(re.compile(r"q=gpu&category=(&|$)"))
    expect(page.get_by_label("Search add-ons")).to_have_value("gpu")
    expect(page.get_by_label("Category")).to_have_value("")
    expect_grid(page, ["gpu-compute-access", "bolt-ai-dev-environment"])
