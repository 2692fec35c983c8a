"""Catalog search: a GIN index per match class (name; name, summary and category; and feature
names), on `search_document` kept to those weights by `ts_filter`.

A search lists its best class first. With one index on the whole document, finding the names
that match "s" meant re-checking the weights of every add-on matching "s" (9,000 of 10,000);
each class's own index answers with just that class's add-ons.

Revision ID: 019_search_classes
Revises: 018_api_idempotency
Create Date: 2026-11-26
"""

from alembic import op

revision = "019_search_classes"
down_revision = "018_api_idempotency"
branch_labels = None
depends_on = None

CLASSES = ("a", "ab", "abc")


def upgrade():
    for weights in CLASSES:
        array = "{" + ",".join(weights) + "}"
        op.execute(
            f"CREATE INDEX idx_add_ons_search_{weights} ON add_ons"
            f""" USING gin (ts_filter(search_document, '{array}'::"char"[]))"""
        )


def downgrade():
    for weights in CLASSES:
        op.execute(f"DROP INDEX idx_add_ons_search_{weights}")
