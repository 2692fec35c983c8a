"""Catalog search at 10k add-ons: the indexes a broad, a narrow and a rare search read, the
same order as ranking every match would give, and a count that stops at a thousand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from marketplace.catalog.queries import catalog_page
from marketplace.catalog.search import search_words
from marketplace.cli.seed import seed_catalog
from marketplace.demo.generator import DemoSizes
from marketplace.demo.load import load_demo_data
from marketplace.extensions import db
from tests.fixtures.database import make_app, recorded_statements, rolled_back
from tests.integration.storefront.pages import slugs_in


@pytest.fixture(scope="module")
def ten_thousand(committed_database_url) -> str:
    """A database holding the seed catalog and 10k demo add-ons, loaded once for the module
    (it takes seconds); each test's changes to it are rolled back."""
    with make_app(committed_database_url).app_context():
        seed_catalog(db.session, datetime.now(UTC))
        sizes = DemoSizes(users=1, add_ons=10_000, subscriptions=0, purchases=0, carts=0, bundles=0)
        load_demo_data(db.session, sizes, seed=7)  # commits, the seed catalog with it
        db.session.execute(text("ANALYZE add_ons"))
        db.session.commit()
        db.engine.dispose()
    return committed_database_url


@pytest.fixture
def app(ten_thousand, app_overrides):
    with rolled_back(make_app(ten_thousand, **app_overrides)) as app:
        yield app


def indexes_read(session, q: str, **filters) -> set[str]:
    """The indexes the statements of one catalog page of `q` read, by EXPLAIN ANALYZE: a match
    class's scan held back by its one-time filter shows in the plan but never runs."""
    with recorded_statements(with_parameters=True) as sent:
        catalog_page(session, q=q, **filters)
    connection = session.connection()
    read: set[str] = set()
    for statement, parameters in sent:
        [plan] = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
        ).scalar()
        read |= set(_indexes_run(plan["Plan"]))
    return read


def _indexes_run(node: dict):
    if node.get("Actual Loops", 0) > 0 and "Index Name" in node:
        yield node["Index Name"]
    for child in node.get("Plans", []):
        yield from _indexes_run(child)


def test_a_broad_search_reads_the_head_of_the_name_index_not_every_match(session, ten_thousand):
    # "s" is in nearly every add-on's document and in thousands of names: the page's 24 are
    # the first names in order, checked along a name index; no GIN bitmap of the name class.
    assert catalog_page(session, q="s").more
    read = indexes_read(session, "s")
    assert read & {"idx_add_ons_active_name", "idx_add_ons_admin_name"}
    assert "idx_add_ons_search_a" not in read


def test_a_narrow_search_asks_the_gin_index_of_its_match_class(session, ten_thousand):
    # No name holds "realtime": none among the first names either, so the name class is asked
    # of its own GIN index (at once empty); the summaries' class fills the page from the head.
    assert catalog_page(session, q="realtime").total > 24
    read = indexes_read(session, "realtime")
    assert "idx_add_ons_search_a" in read
    assert "idx_add_ons_search_ab" not in read


def test_a_search_with_few_matches_ranks_them_all_from_the_document_index(session, ten_thousand):
    # "amanuensis" matches one add-on of 10,000: counted (up to 1,000) and ranked from the
    # document's GIN index at once; neither the head of the name index nor a class's index
    # is read.
    page = catalog_page(session, q="amanuensis")
    assert page.total == 1 and not page.more
    read = indexes_read(session, "amanuensis")
    assert "idx_add_ons_search_document" in read
    assert not read & {"idx_add_ons_active_name", "idx_add_ons_admin_name"}
    assert not {index for index in read if index.startswith("idx_add_ons_search_a")}


# Every match ranked the plain way, what the pages must equal: the match class by a CASE over
# weight-restricted queries (written out as `search.search_query` builds them), then the sort.
ORDER_SQL = {
    "featured": "CASE WHEN search_document @@ {A} THEN 0 WHEN search_document @@ {AB} THEN 1"
    " WHEN search_document @@ {ABC} THEN 2 ELSE 3 END, name, id",
    "price_asc": "base_price, name, id",
    "price_desc": "base_price DESC, name, id",
    "name": "name, id",
}


def tsquery(q: str, weights: str = "") -> str:
    *whole, last = search_words(q)  # letters and digits only: safe to write into the SQL
    label = f":{weights}" if weights else ""
    terms = [f"to_tsquery('english', '{word}{label}')" for word in whole]
    prefix = f"{last}:*{weights}"
    terms.append(f"(to_tsquery('english', '{prefix}') || to_tsquery('simple', '{prefix}'))")
    return "(" + " && ".join(terms) + ")"


def ranked_ids(session, q: str, sort: str, category: str | None) -> list:
    order = ORDER_SQL[sort].format(**{w: tsquery(q, w) for w in ("A", "AB", "ABC")})
    statement = (
        "SELECT id FROM add_ons WHERE is_active AND (CAST(:category AS text) IS NULL"
        f" OR category = :category) AND search_document @@ {tsquery(q)} ORDER BY {order}"
    )
    return list(session.scalars(text(statement), {"category": category}))


# Broad and narrow searches, each match class first in some, every sort, with a category.
RANKING_CASES = [
    ("s", "featured", None),
    ("a", "featured", "analytics"),
    ("realtime", "featured", None),
    ("voice", "price_desc", None),
    ("team vo", "featured", None),
    ("transcriber", "name", "ai-services"),
    ("pi", "price_asc", None),
]


def test_the_pages_of_a_search_are_every_match_ranked(session, ten_thousand):
    # One data set for every case: loading 10k add-ons takes seconds.
    match_counts = []
    for q, sort, category in RANKING_CASES:
        expected = ranked_ids(session, q, sort, category)
        assert expected, f"{q!r} must have matches"
        match_counts.append(len(expected))
        for page in (1, 2, 7):
            shown = catalog_page(session, q=q, sort=sort, category=category, page=page).add_ons
            assert [a.id for a in shown] == expected[(page - 1) * 24 : page * 24], (q, sort, page)
    # Both ways are checked: few matches (ranked all at once) and many (the head, the classes).
    assert any(24 < count <= 1_000 for count in match_counts)
    assert any(count > 1_000 for count in match_counts)


def test_a_broad_search_stops_counting_at_a_thousand_and_still_pages(client, ten_thousand):

    first = client.get("/", query_string={"q": "a"}).get_data(as_text=True)
    assert "<strong>More than 1,000</strong> add-ons matching “a” · page 1" in " ".join(
        first.split()
    )
    assert 'rel="next" href="/?page=2&amp;q=a"' in first and "page 1 of" not in first
    second = client.get("/", query_string={"q": "a", "page": "2"}).get_data(as_text=True)
    assert len(slugs_in(second)) == 24 and not set(slugs_in(second)) & set(slugs_in(first))
    # A narrow search is still counted exactly.
    narrow = client.get("/", query_string={"q": "amanuensis"}).get_data(as_text=True)
    assert "<strong>1</strong> add-on matching “amanuensis”" in " ".join(narrow.split())
