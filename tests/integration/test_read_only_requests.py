"""A request that only read ends its transaction with COMMIT, so psycopg keeps its prepared
statements across requests; a request that wrote without committing is still rolled back.

On a committing database, with each request in an app context of its own, as in production.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from marketplace.extensions import db
from marketplace.models import FeatureDefinition
from tests.fixtures.database import make_app

KEY = "read-only-requests-probe"


@pytest.fixture
def app(committed_database_url):
    app = make_app(committed_database_url)

    @app.post("/probe/flushed")
    def flushed():
        db.session.add(FeatureDefinition(key=KEY, name="Probe"))
        db.session.flush()
        db.session.execute(select(FeatureDefinition.key))  # and then only read
        return "not committed"

    @app.post("/probe/pending")
    def pending():
        db.session.execute(select(FeatureDefinition.key))
        db.session.add(FeatureDefinition(key=KEY, name="Probe"))  # never flushed
        return "not committed"

    yield app
    with app.app_context():
        db.session.execute(text("DELETE FROM feature_definitions WHERE key = :key"), {"key": KEY})
        db.session.commit()
        db.engine.dispose()


def prepared_statements(app) -> list[str]:
    """The statements prepared on the app's pooled connection (requests here run one at a time,
    so they all used that one connection)."""
    with app.app_context():
        statements = list(db.session.scalars(text("SELECT statement FROM pg_prepared_statements")))
        db.session.commit()
        return statements


def test_a_statement_run_by_read_only_requests_stays_prepared(app):
    client = app.test_client()
    for word in ("voice", "agent", "gpu", "data", "text", "image", "audio"):
        assert client.get("/", query_string={"q": word}).status_code == 200

    # psycopg prepares a statement on its fifth run; a ROLLBACK would have forgotten it.
    assert any("search_document" in statement for statement in prepared_statements(app))


@pytest.mark.parametrize("path", ["/probe/flushed", "/probe/pending"])
def test_a_request_that_wrote_without_committing_is_rolled_back(app, path):
    assert app.test_client().post(path).status_code == 200

    with app.app_context():
        assert db.session.get(FeatureDefinition, KEY) is None
