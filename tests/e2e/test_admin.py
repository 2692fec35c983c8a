"""An admin in Chromium: create an add-on and see it in the shop at once; change a price and
see it on the product page — with the storefront's page cache on, as in production."""

from __future__ import annotations

import re
import threading
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from marketplace.extensions import db
from tests.e2e.shopper import card
from tests.fixtures.database import make_app


@pytest.fixture(scope="module")
def cached_server(database_url, live_server):
    """A second server on the browser tests' database with the 30 s catalog cache on."""
    url = make_url(database_url)
    app = make_app(
        url.set(database=f"{url.database}_e2e").render_as_string(False), CATALOG_CACHE_SECONDS=30
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    with app.app_context():
        # The other browser tests count the seed catalog's cards: take back what these made.
        db.session.execute(text("DELETE FROM add_ons WHERE slug LIKE 'echo-finder-%'"))
        db.session.commit()
        db.engine.dispose()


@pytest.fixture
def admin_page(browser, cached_server):
    context = browser.new_context(base_url=cached_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(5_000)
    page.goto("/login")
    page.get_by_label("User id").fill(f"admin-{uuid.uuid4().hex[:6]}")
    page.get_by_label("Administrator").check()
    page.get_by_role("button", name="Sign in").click()
    yield page
    context.close()


def test_a_new_add_on_is_in_the_shop_at_once_and_a_new_price_on_its_page(admin_page: Page):
    page = admin_page
    name = f"Echo Finder {uuid.uuid4().hex[:4]}"
    slug = name.lower().replace(" ", "-")
    page.goto("/")
    expect(page.locator("li.card")).to_have_count(9)  # now cached for 30 s

    page.get_by_role("link", name="Admin").click()
    page.get_by_role("navigation", name="Admin areas").get_by_role("link", name="Add-ons").click()
    page.get_by_role("link", name="New add-on").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Category").select_option("analytics")
    page.get_by_label("Base price (USD)").fill("")
    page.get_by_role("button", name="Create add-on").click()
    expect(page.get_by_text("Enter a price (0 for free).")).to_be_visible()  # inline, by htmx
    page.get_by_label("Base price (USD)").fill("7.25")
    page.get_by_label("Sort order").fill("1")
    page.get_by_role("button", name="Create add-on").click()
    expect(page.get_by_text(f"“{name}” was created.")).to_be_visible()

    page.goto("/")
    expect(card(page, slug)).to_be_visible()
    expect(card(page, slug)).to_contain_text("$7.25")

    page.goto(f"/add-ons/{slug}")
    expect(page.locator(".product")).to_contain_text("$7.25")
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("navigation", name="Admin areas").get_by_role("link", name="Add-ons").click()
    page.get_by_label("Search name or slug").fill(slug)
    page.get_by_role("link", name=name).click()
    page.get_by_label("Base price (USD)").fill("8.50")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text(f"“{name}” was saved.")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("add_on.update")

    page.goto(f"/add-ons/{slug}")
    expect(page.locator(".product")).to_contain_text("$8.50")
    expect(page.locator(".product")).not_to_contain_text("$7.25")
    page.goto("/admin/audit/")
    expect(page.locator("#audit-results")).to_contain_text("add_on.create")
    expect(page).to_have_url(re.compile(r"/admin/audit/"))

    # Never sold, so it can go for good; the shop forgets it at once too.
    page.get_by_role("link", name=re.compile(r"add_on [0-9a-f]{8}")).first.click()
    page.get_by_role("link", name="Delete…").click()
    page.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_text(f"“{name}” was deleted.")).to_be_visible()
    assert page.request.get(f"/add-ons/{slug}").status == 404


@pytest.mark.parametrize("path", ["/admin/", "/admin/catalog/add-ons", "/admin/audit/"])
def test_admin_pages_fit_a_360_px_screen(admin_page: Page, path: str):
    page = admin_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(path)

    expect(page.get_by_role("navigation", name="Admin areas")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
