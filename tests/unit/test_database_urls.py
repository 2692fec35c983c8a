"""DATABASE_URL handling: any PostgreSQL spelling works, anything else is refused clearly."""

import pytest

from marketplace.database import DatabaseUnavailable, normalize_url, safe_url


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
