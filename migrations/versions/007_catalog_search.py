"""Catalog search over name, summary, categories, feature names and description.

The generated `search_vector` could only read the add-on's own row; feature names live in
`add_on_features` and the platform's `feature_definitions`. `search_document` is kept by
triggers instead: weights A name, B summary (the description's first sentence) and category,
C feature names, D the rest of the description.

Revision ID: 007_catalog_search
Revises: 006_shopper_contacts
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

revision = "007_catalog_search"
down_revision = "006_shopper_contacts"
branch_labels = None
depends_on = None

# The document of one add-on. Feature names: the keys of its `features` array and of its
# enabled `add_on_features` rows, each by its platform name (else the key in words). The
# functions keep the migration's search_path: pg_restore runs with an empty one, and its COPY
# fires these triggers.
DOCUMENT_FUNCTION = r"""
CREATE OR REPLACE FUNCTION add_on_search_document(
    p_id uuid, p_name text, p_description text, p_category text, p_features jsonb
) RETURNS tsvector LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
    SELECT setweight(to_tsvector('english', coalesce(p_name, '')), 'A')
        || setweight(to_tsvector('english',
               coalesce(substring(p_description FROM '^[^.!?]*[.!?]?'), '')
               || ' ' || replace(coalesce(p_category, ''), '-', ' ')), 'B')
        || setweight(to_tsvector('english', coalesce((
               SELECT string_agg(coalesce(d.name, replace(k.key, '_', ' ')), ' ' ORDER BY k.key)
               FROM (
                   SELECT jsonb_array_elements_text(p_features)
                   UNION
                   SELECT f.feature_key FROM add_on_features f
                   WHERE f.add_on_id = p_id AND f.enabled
               ) AS k(key)
               LEFT JOIN feature_definitions d ON d.key = k.key), '')), 'C')
        || setweight(to_tsvector('english', coalesce(
               substr(p_description,
                      length(substring(p_description FROM '^[^.!?]*[.!?]?')) + 1), '')), 'D')
$$
"""

DOCUMENT_OF_ROW = (
    "add_on_search_document(add_ons.id, add_ons.name, add_ons.description, add_ons.category,"
    " add_ons.features)"
)
# Rewrites only the documents that change: loading feature rows whose names the add-on's
# `features` array already gave (the demo data, a seed) leaves no dead row versions behind.
REFRESH = (
    f"UPDATE add_ons SET search_document = {DOCUMENT_OF_ROW}"
    f" WHERE search_document IS DISTINCT FROM {DOCUMENT_OF_ROW} AND add_ons.id"
)

TRIGGER_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION add_ons_search_document() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    NEW.search_document := add_on_search_document(
        NEW.id, NEW.name, NEW.description, NEW.category, NEW.features);
    RETURN NEW;
END $$;

-- One UPDATE per statement (a COPY of 50,000 feature rows refreshes each add-on once).
CREATE OR REPLACE FUNCTION add_on_features_search_document() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {REFRESH} IN (SELECT add_on_id FROM new_rows);
    ELSIF TG_OP = 'UPDATE' THEN
        {REFRESH} IN (SELECT add_on_id FROM new_rows UNION SELECT add_on_id FROM old_rows);
    ELSE
        {REFRESH} IN (SELECT add_on_id FROM old_rows);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION feature_definitions_search_document() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    changed text := CASE TG_OP WHEN 'DELETE' THEN OLD.key ELSE NEW.key END;
BEGIN
    {REFRESH} IN (
        SELECT id FROM add_ons WHERE features ? changed
        UNION SELECT add_on_id FROM add_on_features WHERE feature_key = changed);
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER add_ons_search_document
    BEFORE INSERT OR UPDATE OF name, description, category, features ON add_ons
    FOR EACH ROW EXECUTE FUNCTION add_ons_search_document();
CREATE TRIGGER add_on_features_search_document_insert
    AFTER INSERT ON add_on_features REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION add_on_features_search_document();
CREATE TRIGGER add_on_features_search_document_update
    AFTER UPDATE ON add_on_features REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION add_on_features_search_document();
CREATE TRIGGER add_on_features_search_document_delete
    AFTER DELETE ON add_on_features REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION add_on_features_search_document();
"""

# `feature_definitions` belongs to the platform (see 000): the trigger is added only where the
# migration may add one; elsewhere a renamed feature reaches the search at the add-on's next
# change.
DEFINITIONS_TRIGGER = """
DO $$
BEGIN
    IF has_table_privilege('feature_definitions', 'TRIGGER') THEN
        CREATE TRIGGER feature_definitions_search_document
            AFTER INSERT OR DELETE OR UPDATE OF key, name ON feature_definitions
            FOR EACH ROW EXECUTE FUNCTION feature_definitions_search_document();
    ELSE
        RAISE NOTICE 'feature_definitions_search_document not created: no TRIGGER privilege';
    END IF;
END $$;
"""

OLD_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(features::text, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')"
)


def upgrade():
    op.drop_index("idx_add_ons_search", table_name="add_ons")
    op.drop_column("add_ons", "search_vector")
    op.add_column(
        "add_ons",
        sa.Column(
            "search_document", TSVECTOR, nullable=False, server_default=sa.text("''::tsvector")
        ),
    )
    op.execute(DOCUMENT_FUNCTION)
    op.execute(TRIGGER_FUNCTIONS)
    op.execute(TRIGGERS)
    op.execute(DEFINITIONS_TRIGGER)
    op.execute(f"UPDATE add_ons SET search_document = {DOCUMENT_OF_ROW}")
    # Catalog search: search_document @@ query, ranked (marketplace.catalog.queries.catalog_page).
    op.create_index(
        "idx_add_ons_search_document", "add_ons", ["search_document"], postgresql_using="gin"
    )


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS feature_definitions_search_document ON feature_definitions")
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER add_on_features_search_document_{event} ON add_on_features")
    op.execute("DROP TRIGGER add_ons_search_document ON add_ons")
    for function in (
        "feature_definitions_search_document()",
        "add_on_features_search_document()",
        "add_ons_search_document()",
        "add_on_search_document(uuid, text, text, text, jsonb)",
    ):
        op.execute(f"DROP FUNCTION {function}")
    op.drop_index("idx_add_ons_search_document", table_name="add_ons")
    op.drop_column("add_ons", "search_document")
    op.add_column(
        "add_ons",
        sa.Column(
            "search_vector", TSVECTOR, sa.Computed(OLD_DOCUMENT, persisted=True), nullable=False
        ),
    )
    op.create_index("idx_add_ons_search", "add_ons", ["search_vector"], postgresql_using="gin")
