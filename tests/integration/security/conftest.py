"""Security scenarios: the identity fixtures (a local Keycloak, apps wired to it), shoppers'
carts, and a counter of the SQL a request sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from marketplace.extensions import db
from tests.integration.cart.conftest import (  # noqa: F401  (fixtures used by these tests)
    HX,
    catalog,
    put_in_cart,
)
from tests.integration.identity.conftest import (  # noqa: F401  (fixtures used by these tests)
    app,
    keycloak,
    keycloak_server,
    oidc_app,
    oidc_client,
    oidc_sign_in,
    purchase,
    session_of,
)


@pytest.fixture
def count_queries(app):  # noqa: F811  (the app of this test: identity's, imported above)
    """Count the SQL statements run while the block runs (savepoints excluded)."""

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                statements.append(statement)

        connection = db.engines[None]
        event.listen(connection, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(connection, "before_cursor_execute", record)

    return counting
