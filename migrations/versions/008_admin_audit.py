"""Admin area: the append-only audit log, the catalog version, the admin list's indexes.

Revision ID: 008_admin_audit
Revises: 007_catalog_search
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "008_admin_audit"
down_revision = "007_catalog_search"
branch_labels = None
depends_on = None

# Any statement on these tables changes what the storefront shows (SQL edits and `flask seed`
# included), so each one bumps the catalog version the page caches key on.
CATALOG_TABLES = ("add_ons", "add_on_features", "add_on_bundles", "pricing_rules")


def upgrade():
    _audit_log()
    _catalog_version()
    # The admin add-on list (marketplace/admin/catalog/queries.py `add_on_list`): ORDER BY the
    # chosen column, then id, over every add-on (the storefront's indexes cover active ones only);
    # the keyset condition `(column, id) > (:last, :id)` starts the scan where the page begins.
    op.create_index("idx_add_ons_admin_name", "add_ons", ["name", "id"])
    op.create_index("idx_add_ons_admin_price", "add_ons", ["base_price", "id"])
    op.create_index("idx_add_ons_admin_updated", "add_ons", ["updated_at", "id"])


def _audit_log():
    op.create_table(
        "admin_audit_log",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("actor_role", sa.String(20), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("object_type", sa.String(50), nullable=False),
        sa.Column("object_id", sa.String(255), nullable=False),
        sa.Column("before", postgresql.JSONB, nullable=True),
        sa.Column("after", postgresql.JSONB, nullable=True),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.Column("ip", postgresql.INET, nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_admin_audit_log"),
    )
    # The audit page (marketplace/admin/audit/queries.py `audit_page`): newest first, keyset on
    # (created_at, id), with or without a date range or an action filter.
    op.create_index("idx_admin_audit_log_created", "admin_audit_log", ["created_at", "id"])
    # An object's history (the add-on page's "History") and the audit page's object filter.
    op.create_index(
        "idx_admin_audit_log_object",
        "admin_audit_log",
        ["object_type", "object_id", "created_at", "id"],
    )
    # The audit page's actor filter.
    op.create_index("idx_admin_audit_log_actor", "admin_audit_log", ["actor", "created_at", "id"])
    op.execute(
        """
        CREATE FUNCTION admin_audit_log_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'admin_audit_log is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER admin_audit_log_no_update_delete BEFORE UPDATE OR DELETE "
        "ON admin_audit_log FOR EACH ROW EXECUTE FUNCTION admin_audit_log_append_only()"
    )
    op.execute(
        "CREATE TRIGGER admin_audit_log_no_truncate BEFORE TRUNCATE "
        "ON admin_audit_log FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_log_append_only()"
    )


def _catalog_version():
    op.create_table(
        "catalog_version",
        sa.Column("id", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_version"),
        sa.CheckConstraint("id", name="ck_catalog_version_one_row"),
    )
    op.execute("INSERT INTO catalog_version (id, version) VALUES (true, 0)")
    op.execute(
        """
        CREATE FUNCTION bump_catalog_version() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE catalog_version SET version = version + 1 WHERE id;
            RETURN NULL;
        END;
        $$
        """
    )
    for table in CATALOG_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()"
        )


def downgrade():
    for table in CATALOG_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_version ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_catalog_version()")
    op.drop_table("catalog_version")
    op.drop_table("admin_audit_log")
    op.execute("DROP FUNCTION IF EXISTS admin_audit_log_append_only()")
    for name in ("idx_add_ons_admin_updated", "idx_add_ons_admin_price", "idx_add_ons_admin_name"):
        op.drop_index(name, table_name="add_ons")
