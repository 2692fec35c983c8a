"""Entitlements: NOTIFY `entitlements_changed` when a transaction that changed them commits.

Each app process keeps the ETag of each user's entitlements in memory and answers a service's
`If-None-Match` from it (marketplace/api/entitlement_tags.py); these triggers tell it when to
forget one. A change to `user_add_ons` names its users (past 100 in one statement, or any change
to `add_on_features`, it is `*`: everyone). PostgreSQL sends notifications at commit and folds
repeats, so a rolled-back change says nothing and a user is named once per transaction.

Revision ID: 021_entitlement_notify
Revises: 020_analytics_incremental
Create Date: 2026-11-26
"""

from alembic import op

revision = "021_entitlement_notify"
down_revision = "020_analytics_incremental"
branch_labels = None
depends_on = None

FUNCTIONS = """
CREATE OR REPLACE FUNCTION notify_holders_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    users text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT user_id) INTO users FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT user_id) INTO users FROM old_rows;
    ELSE
        SELECT array_agg(user_id) INTO users
        FROM (SELECT user_id FROM new_rows UNION SELECT user_id FROM old_rows) AS changed;
    END IF;
    IF cardinality(users) > 100 THEN
        PERFORM pg_notify('entitlements_changed', '*');
    ELSE
        PERFORM pg_notify('entitlements_changed', u) FROM unnest(users) AS u;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION notify_everyones_entitlements() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM pg_notify('entitlements_changed', '*');
    RETURN NULL;
END $$;
"""

# A trigger with transition tables has one event; hence three on user_add_ons.
TRIGGERS = """
CREATE TRIGGER user_add_ons_notify_insert AFTER INSERT ON user_add_ons
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notify_holders_changed();
CREATE TRIGGER user_add_ons_notify_update AFTER UPDATE ON user_add_ons
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notify_holders_changed();
CREATE TRIGGER user_add_ons_notify_delete AFTER DELETE ON user_add_ons
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notify_holders_changed();
CREATE TRIGGER user_add_ons_notify_truncate AFTER TRUNCATE ON user_add_ons
    FOR EACH STATEMENT EXECUTE FUNCTION notify_everyones_entitlements();
CREATE TRIGGER add_on_features_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON add_on_features FOR EACH STATEMENT EXECUTE FUNCTION notify_everyones_entitlements();
"""


def upgrade():
    op.execute(FUNCTIONS)
    op.execute(TRIGGERS)


def downgrade():
    for trigger in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER user_add_ons_notify_{trigger} ON user_add_ons")
    op.execute("DROP TRIGGER add_on_features_notify ON add_on_features")
    op.execute("DROP FUNCTION notify_holders_changed(), notify_everyones_entitlements()")
