"""Every page of the shop through axe-core, at a desktop and a phone width, with a screenshot.

`PAGES` is the one list of pages: add a page there and it is checked (no serious or critical
axe violation) and photographed at 1280 and 360 px, full page, into `SCREENSHOTS`
(`<name>-1280.png`, `<name>-360.png`). Pages that need a history are reached by shoppers set up
once per run through the real flows: `visitor` (anonymous, nothing in the cart), `payer`
(signed in, a checkout waiting on the test-payment page) and `buyer` (signed in, one add-on
paid for), `admin` (an administrator who has bought one add-on); a `newcomer` is a new
anonymous shopper for each page, for states a page reaches by an action (`then`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e import axe, focus
from tests.e2e.shopper import card

SCREENSHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"
WIDTHS = {1280: 900, 360: 780}  # viewport width → height


@dataclass
class Shopper:
    """A browser tab of one shopper, and the URLs their history gave them."""

    page: Page
    urls: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Visit:
    """A page to check: screenshot name, whose tab, its URL (or the shopper's URL named so)."""

    name: str
    who: str
    url: str
    status: int = 200
    then: Callable[[Page], None] | None = None  # what the shopper does on it before the check

    def address(self, shopper: Shopper) -> str:
        return shopper.urls.get(self.url, self.url)


def sign_in(page: Page, who: str, *, admin: bool = False) -> None:
    page.goto("/login")
    page.get_by_label("User id").fill(f"e2e-a11y-{who}-{uuid.uuid4().hex[:8]}")
    if admin:
        page.get_by_label("Administrator").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def add_to_cart(page: Page, slug: str) -> None:
    page.goto(f"/add-ons/{slug}")
    page.get_by_role("button", name=re.compile("Add to cart")).click()
    expect(page.locator(".cart-added")).to_be_visible()


def open_checkout(page: Page, *slugs: str) -> str:
    """Put `slugs` in the cart, apply a promo code, check out; the test-payment page's URL."""
    for slug in slugs:
        add_to_cart(page, slug)
    page.goto("/cart")
    page.get_by_label("Promo code").fill("launch2025")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("button", name="Remove code")).to_be_visible()
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_role("button", name="Pay (test)")).to_be_visible()
    return page.url


def visitor(page: Page) -> dict[str, str]:
    return {}


def add_from_the_grid(page: Page) -> None:
    card(page, "gpu-compute-access").get_by_role("button", name=re.compile("Add to cart")).click()
    expect(card(page, "gpu-compute-access")).to_contain_text("Added")


def refuse_a_promo_code(page: Page) -> None:
    add_to_cart(page, "gpu-compute-access")
    page.goto("/cart")
    page.get_by_label("Promo code").fill("nosuchcode")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#promo-error")).to_be_visible()


def payer(page: Page) -> dict[str, str]:
    sign_in(page, "payer")
    url = open_checkout(page, "unicorn-orator-tts", "amanuensis-stt", "gpu-compute-access")
    return {"test-payment": url}


def buyer(page: Page) -> dict[str, str]:
    sign_in(page, "buyer")
    open_checkout(page, "unicorn-orator-tts")
    page.get_by_role("button", name="Pay (test)").click()
    expect(page.get_by_role("heading", name=re.compile("add-ons are active"))).to_be_visible()
    urls = {"success": page.url}
    page.goto("/account/purchases")
    urls["receipt"] = href(page.get_by_role("link", name=re.compile("^Receipt")).first)
    page.goto("/account/add-ons")
    urls["cancel"] = href(page.get_by_role("link", name=re.compile("^Cancel")).first)
    urls["subscription"] = urls["cancel"].removesuffix("/cancel")
    return urls


def admin(page: Page) -> dict[str, str]:
    """An admin who has bought an add-on, so the order and customer pages have something."""
    sign_in(page, "admin", admin=True)
    open_checkout(page, "unicorn-orator-tts")
    page.get_by_role("button", name="Pay (test)").click()
    expect(page.get_by_role("heading", name=re.compile("add-ons are active"))).to_be_visible()
    urls = {}
    for name, path in {
        "order": "/admin/orders/",
        "customer": "/admin/customers/",
        "add-on": "/admin/catalog/add-ons?q=unicorn",
        "bundle": "/admin/bundles/",
        "promo": "/admin/promos/?q=launch2025",
        "rule": "/admin/pricing/",
    }.items():
        page.goto(path)
        urls[name] = href(page.locator("main tbody th a").first)
    page.goto("/admin/webhooks/new")
    page.get_by_label("URL", exact=True).fill("http://127.0.0.1:9/hooks")
    page.get_by_role("button", name="Create endpoint").click()
    expect(page.get_by_role("button", name="Create endpoint")).to_have_count(0)
    for name, path in {
        "subscription": "/admin/subscriptions/",
        "webhook": "/admin/webhooks/",
    }.items():
        page.goto(path)
        urls[name] = href(page.locator("main tbody th a").first)
    urls["promo-usage"] = urls["promo"] + "/usage"
    urls["add-on-deactivate"] = urls["add-on"] + "/deactivate"
    return urls


def href(link) -> str:
    value = link.get_attribute("href")
    assert value, "the link has no address"
    return value


JOURNEYS: dict[str, Callable[[Page], dict[str, str]]] = {
    "visitor": visitor,
    "newcomer": visitor,
    "payer": payer,
    "buyer": buyer,
    "admin": admin,
}


PAGES = [
    Visit("catalog", "visitor", "/"),
    Visit("catalog-filtered", "visitor", "/?category=infrastructure&sort=price_asc"),
    Visit("catalog-no-results", "visitor", "/?q=zzzzqx"),
    Visit("product", "visitor", "/add-ons/unicorn-orator-tts"),
    Visit("catalog-added", "newcomer", "/", then=add_from_the_grid),
    Visit("bundles", "visitor", "/bundles"),
    Visit("cart-empty", "visitor", "/cart"),
    Visit("sign-in", "visitor", "/login"),
    Visit("checkout-cancelled", "visitor", "/checkout/cancelled"),
    Visit("not-found", "visitor", "/add-ons/no-such-add-on", status=404),
    Visit("bad-request", "visitor", "/?sort=sideways", status=400),
    Visit("cart-promo-refused", "newcomer", "/", then=refuse_a_promo_code),
    Visit("cart-full", "payer", "/cart"),
    Visit("cart-clear-confirm", "payer", "/cart/clear"),
    Visit("test-payment", "payer", "test-payment"),
    Visit("checkout-cancelled-open", "payer", "/checkout/cancelled"),
    Visit("checkout-success", "buyer", "success"),
    Visit("my-add-ons", "buyer", "/account/add-ons"),
    Visit("subscription", "buyer", "subscription"),
    Visit("cancel-confirmation", "buyer", "cancel"),
    Visit("purchases", "buyer", "/account/purchases"),
    Visit("receipt", "buyer", "receipt"),
    Visit("admin", "admin", "/admin/"),
    Visit("admin-add-ons", "admin", "/admin/catalog/add-ons"),
    Visit("admin-add-on-new", "admin", "/admin/catalog/add-ons/new"),
    Visit("admin-add-on", "admin", "add-on"),
    Visit("admin-add-on-deactivate", "admin", "add-on-deactivate"),
    Visit("admin-bundles", "admin", "/admin/bundles/"),
    Visit("admin-bundle", "admin", "bundle"),
    Visit("admin-pricing", "admin", "/admin/pricing/"),
    Visit("admin-pricing-rule", "admin", "rule"),
    Visit("admin-promos", "admin", "/admin/promos/"),
    Visit("admin-promo", "admin", "promo"),
    Visit("admin-promo-usage", "admin", "promo-usage"),
    Visit("admin-promo-batch", "admin", "/admin/promos/batch"),
    Visit("admin-orders", "admin", "/admin/orders/"),
    Visit("admin-order", "admin", "order"),
    Visit("admin-subscriptions", "admin", "/admin/subscriptions/"),
    Visit("admin-subscription", "admin", "subscription"),
    Visit("admin-subscription-grant", "admin", "/admin/subscriptions/grant"),
    Visit("admin-customers", "admin", "/admin/customers/"),
    Visit("admin-customer", "admin", "customer"),
    Visit("admin-operations", "admin", "/admin/operations/"),
    Visit("admin-stripe-events", "admin", "/admin/operations/stripe-events"),
    Visit("admin-webhooks", "admin", "/admin/webhooks/"),
    Visit("admin-webhook-new", "admin", "/admin/webhooks/new"),
    Visit("admin-webhook", "admin", "webhook"),
    Visit("admin-analytics", "admin", "/admin/analytics"),
    Visit("admin-exports", "admin", "/admin/exports/"),
    Visit("admin-audit", "admin", "/admin/audit/"),
]


@pytest.fixture(scope="module")
def shoppers(browser: Browser, live_server: str) -> Iterator[Callable[[str], Shopper]]:
    """`shoppers(who)`: that shopper's tab, set up on first use and kept for the module; a
    `newcomer` is a new anonymous shopper each time."""
    contexts: list[BrowserContext] = []
    ready: dict[str, Shopper] = {}

    def shopper(who: str) -> Shopper:
        if who in ready:
            return ready[who]
        context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5_000)
        made = Shopper(page, JOURNEYS[who](page))
        if who != "newcomer":
            ready[who] = made
        return made

    yield shopper
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("visit", PAGES, ids=[visit.name for visit in PAGES])
def test_page_has_no_serious_accessibility_violation(shoppers, visit: Visit, width: int):
    shopper = shoppers(visit.who)
    page = shopper.page
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    response = page.goto(visit.address(shopper))
    assert response is not None and response.status == visit.status, page.url
    if visit.then:
        visit.then(page)

    page.evaluate("window.scrollTo(0, 0)")  # else the sticky header lands mid-screenshot
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{visit.name}-{width}.png", full_page=True)
    found = axe.blocking(axe.violations(page))
    assert not found, f"{visit.name} at {width} px ({page.url}):\n{axe.describe(found)}"
    hidden = focus.unseen(page)
    assert not hidden, f"{visit.name} at {width} px: focus does not show on\n" + "\n".join(hidden)
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    # WCAG 1.4.10: every page fits 360 px without scrolling sideways.
    assert sideways <= 0, f"{visit.name} scrolls {sideways} px sideways"
