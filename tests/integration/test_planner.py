"""The planner settings every connection carries (marketplace.database.PLANNER_SETTINGS)."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import event, text

from marketplace.bundles.queries import bundles_containing
from marketplace.extensions import db
from tests.fixtures.database import make_app


def test_connections_cost_random_reads_as_cached_storage(session):
    assert session.scalar(text("SHOW random_page_cost")) == "1.1"


def test_server_options_in_the_url_are_kept(database_url):
    separator = "&" if "?" in database_url else "?"
    app = make_app(f"{database_url}{separator}options=-c%20statement_timeout%3D4321")
    with app.app_context():
        assert db.session.scalar(text("SHOW statement_timeout")) == "4321ms"
        assert db.session.scalar(text("SHOW random_page_cost")) == "1.1"
        db.session.rollback()
        db.engine.dispose()


def test_a_carts_bundle_lookup_uses_the_gin_index(session):
    # 1,000 bundles of 2–5 add-ons, as in the demo data: with the default random_page_cost the
    # planner reads the whole table for a 5-line cart rather than probing the GIN index.
    session.execute(
        text(
            "INSERT INTO add_on_bundles (name, add_on_ids, discount_percent)"
            " SELECT 'Bundle ' || i, ARRAY(SELECT gen_random_uuid()"
            "  FROM generate_series(1, 2 + i % 4)), 10"
            " FROM generate_series(1, 1000) AS i"
        )
    )
    session.execute(text("ANALYZE add_on_bundles"))
    cart = [uuid.uuid4() for _ in range(5)]
    connection = session.connection()
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", record)
    try:
        bundles_containing(session, cart)
    finally:
        event.remove(connection, "before_cursor_execute", record)
    ((statement, parameters),) = sent
    plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()

    assert "idx_add_on_bundles_add_on_ids" in json.dumps(plan)
