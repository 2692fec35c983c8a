"""Catalog changes reach the shop at once: the version PostgreSQL bumps on every catalog
statement is part of every cached page's key, in every process."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import text

from marketplace.catalog.cache import VERSION_KEY, VersionMemo, catalog_cache
from marketplace.catalog.version import catalog_version
from marketplace.extensions import db
from marketplace.models import AddOn
from marketplace.vocabulary import Role
from tests.fixtures.database import committing_app, make_app
from tests.fixtures.shoppers import sign_in
from tests.integration.storefront.pages import Clock, install_cache

PRODUCT = "/add-ons/orator"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE add_ons SET name = name",
        "UPDATE add_on_features SET enabled = enabled",
        "UPDATE add_on_bundles SET name = name",
        "DELETE FROM pricing_rules WHERE false",
    ],
)
def test_every_catalog_statement_bumps_the_version(session, statement):
    before = catalog_version(session)
    session.execute(text(statement))

    assert catalog_version(session) == before + 1


def test_other_tables_leave_it_alone(session):
    before = catalog_version(session)
    session.execute(text("UPDATE cart_items SET quantity = quantity"))

    assert catalog_version(session) == before


def test_a_process_trusts_the_version_it_read_for_a_bounded_time(app, add_ons):
    _, clock = install_cache(app)
    client = app.test_client()
    assert "Unicorn Orator - TTS" in client.get("/").text
    add_ons["unicorn-orator-tts"].name = "Renamed Orator"  # as another process would
    db.session.flush()

    clock.now += 0.4
    assert "Unicorn Orator - TTS" in client.get("/").text  # within CATALOG_VERSION_SECONDS
    clock.now += 0.1
    assert "Renamed Orator" in client.get("/").text  # long before the page's 30 s TTL


# Two app instances on one database, as two workers or two servers --------------------------


@pytest.fixture
def two_apps(committed_database_url):
    """An admin's app and a storefront app, each with its own page cache, really committing."""
    with committing_app(committed_database_url, "add_ons") as admin_app:
        shop_app = make_app(committed_database_url, CATALOG_CACHE_SECONDS=30)
        with admin_app.app_context():
            db.session.add(
                AddOn(name="Orator", slug="orator", category="ai-services",
                      base_price=Decimal("9.99"), billing_type="monthly")
            )  # fmt: skip
            db.session.commit()
        yield admin_app, shop_app
        with shop_app.app_context():
            db.engine.dispose()


def price_on(client) -> str:
    return re.search(r"\$\d+\.\d\d", client.get(PRODUCT).text).group(0)


def test_an_admin_save_through_one_app_shows_at_once_through_the_other(two_apps):
    admin_app, shop_app = two_apps
    clock = Clock()  # the shop's page cache and version memo; the test moves it
    shop_app.extensions[VERSION_KEY] = VersionMemo(ttl=0.5, clock=clock)
    shop = shop_app.test_client()
    assert price_on(shop) == "$9.99" and price_on(shop) == "$9.99"  # cached now
    assert len(catalog_cache(shop_app)) == 1

    admin = sign_in(admin_app.test_client(), "admin-ada", role=Role.ADMIN)
    with admin_app.app_context():
        add_on_id = db.session.scalar(db.select(AddOn.id).where(AddOn.slug == "orator"))
    page = admin.get(f"/admin/catalog/add-ons/{add_on_id}").text
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)
    saved = admin.post(
        f"/admin/catalog/add-ons/{add_on_id}",
        data={"name": "Orator", "slug": "orator", "category": "ai-services",
              "base_price": "14.00", "billing_type": "monthly", "display_order": "100",
              "metadata_json": "{}", "is_active": "y", "token": token},
    )  # fmt: skip
    assert saved.status_code == 303

    clock.now += 0.5  # CATALOG_VERSION_SECONDS later, not the page cache's 30 s
    assert price_on(shop) == "$14.00"


def test_with_no_memo_the_other_app_shows_it_on_the_next_request(two_apps):
    admin_app, shop_app = two_apps
    shop_app.extensions[VERSION_KEY] = VersionMemo(ttl=0)
    shop = shop_app.test_client()
    assert price_on(shop) == "$9.99"

    with admin_app.app_context():  # a plain SQL edit (psql, `flask seed`) counts too
        db.session.execute(text("UPDATE add_ons SET base_price = 3.50 WHERE slug = 'orator'"))
        db.session.commit()

    assert price_on(shop) == "$3.50"
