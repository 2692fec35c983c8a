"""Every add-on and bundle has an icon (Lucide, vendored), on cards, product pages, the bundles
page and the cart; the seeded add-ons name theirs in their metadata, others get their category's."""

from __future__ import annotations

import re

import pytest

from marketplace.catalog.icons import CATEGORY_ICONS, ICON_DIR, add_on_icon, icon_body
from marketplace.cli import seed_data
from marketplace.cli.seed import seed_catalog
from marketplace.models import AddOn
from marketplace.models.base import utcnow
from marketplace.models.catalog import slugify
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.shoppers import ANON_OWNER
from tests.integration.storefront.pages import bundle_html, card_html

SEEDED_ICONS = {slugify(add_on["name"]): add_on["metadata"]["icon"] for add_on in seed_data.ADD_ONS}


@pytest.fixture
def seeded(session):
    seed_catalog(session, utcnow())
    session.commit()


def tile_icon(html: str) -> str:
    """The paths inside the first icon tile of `html`."""
    match = re.search(
        r'<span class="icon-tile icon-tile--[a-z-]+[^"]*"><svg class="icon"[^>]*'
        r'aria-hidden="true" focusable="false">(.*?)</svg></span>',
        html,
        re.S,
    )
    assert match, "no decorative icon tile"
    return match.group(1)


def test_every_seeded_add_on_names_a_vendored_icon():
    vendored = {path.stem for path in ICON_DIR.glob("*.svg")}
    assert set(SEEDED_ICONS.values()) <= vendored
    assert len(set(SEEDED_ICONS.values())) == 9  # one of its own each
    assert set(CATEGORY_ICONS.values()) <= vendored


def test_catalog_cards_show_each_seeded_add_ons_icon(client, seeded):
    html = client.get("/").text

    for slug, icon in SEEDED_ICONS.items():
        card = card_html(html, slug)
        assert tile_icon(card) == icon_body(icon)
        assert icon_body(icon).startswith("<") and "<svg" not in icon_body(icon)


def test_the_product_page_shows_the_icon_in_the_category_colour(client, seeded):
    html = client.get("/add-ons/amanuensis-stt").text

    assert (
        '<span class="icon-tile icon-tile--ai-services icon-tile--large"><svg class="icon"' in html
    )
    assert tile_icon(html) == icon_body("mic")
    assert '<span class="badge badge--category badge--ai-services">AI Services</span>' in html


def test_without_an_icon_of_its_own_an_add_on_gets_its_categorys(client, session, add_ons):
    tts = add_ons["unicorn-orator-tts"]
    gpu = add_ons["gpu-compute-access"]
    gpu.meta = {**gpu.meta, "icon": "../../etc/passwd"}
    session.commit()

    html = client.get("/").text

    assert tile_icon(card_html(html, tts.slug)) == icon_body("sparkles")  # ai-services
    assert tile_icon(card_html(html, gpu.slug)) == icon_body("server")  # infrastructure
    assert add_on_icon({"icon": "no-such-icon"}, "unknown-category") == "puzzle"


def test_bundles_have_an_icon_and_list_their_add_ons_with_theirs(client, seeded):
    html = client.get("/bundles").text
    bundle = bundle_html(html, "Developer Pro Bundle")

    assert tile_icon(bundle) == icon_body("package")
    members = re.findall(
        r'<span class="bundle__add-on"><span class="icon-tile icon-tile--([a-z-]+) '
        r'icon-tile--small"><svg[^>]*>(.*?)</svg></span><a href="/add-ons/([a-z0-9-]+)">',
        bundle,
        re.S,
    )
    assert [(slug, body) for _category, body, slug in members] == [
        ("brigade-agent-platform", icon_body("bot")),
        ("bolt-ai-dev-environment", icon_body("code-xml")),
        ("vector-search-engine", icon_body("database")),
    ]


def test_cart_lines_show_their_add_ons_icon(anonymous_client, session, seeded):
    documents = session.query(AddOn).filter_by(slug="document-processing-suite").one()
    put_in_cart(session, ANON_OWNER, documents)

    for html in (
        anonymous_client.get("/cart").text,
        anonymous_client.get("/cart", headers={"HX-Request": "true"}).text,
    ):
        line = html[html.index('<li class="cart-line') :]
        assert '<span class="icon-tile icon-tile--productivity cart-line__icon">' in line
        assert tile_icon(line) == icon_body("file-text")
