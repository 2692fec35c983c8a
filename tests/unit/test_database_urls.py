"""DATABASE_URL handling: any PostgreSQL spelling works, anything else is refused clearly."""

import pytest

from marketplace.database import (
    PLANNER_SETTINGS,
    DatabaseUnavailable,
    engine_options,
    normalize_url,
    safe_url,
)


@pytest.mark.parametrize(
    "url",
    [
        "postgres://shop:pw@db.internal:5432/marketplace",
        "postgresql://shop:pw@db.internal:5432/marketplace",
        "postgresql+psycopg2://shop:pw@db.internal:5432/marketplace",
    ],
)
def test_every_postgresql_spelling_uses_psycopg_3(url):
    assert normalize_url(url) == "postgresql+psycopg://shop:pw@db.internal:5432/marketplace"


def test_other_databases_are_refused_with_the_reason():
    with pytest.raises(DatabaseUnavailable, match="must point at PostgreSQL, got 'mysql'"):
        normalize_url("mysql://root@localhost/shop")


def test_passwords_never_reach_messages():
    assert safe_url("postgresql+psycopg://shop:s3cret@db/m") == "postgresql+psycopg://shop:***@db/m"


def test_planner_settings_join_the_urls_own_server_options():
    plain = engine_options("postgresql+psycopg://shop@db/m")
    own = engine_options("postgresql+psycopg://shop@db/m?options=-c%20statement_timeout%3D5000")

    assert plain["connect_args"]["options"] == PLANNER_SETTINGS
    assert own["connect_args"]["options"] == f"-c statement_timeout=5000 {PLANNER_SETTINGS}"
    assert own["pool_pre_ping"] and own["connect_args"]["connect_timeout"] == 10
