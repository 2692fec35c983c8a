"""Extensions marketplace: the deployment guide's 8 tables, triggers and indexes.

Downgrading is the guide's rollback procedure: the 8 tables and the trigger functions go,
the platform tables of revision 000 stay.

Revision ID: 001_extensions_marketplace
Revises: 000_platform_base
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

revision = "001_extensions_marketplace"
down_revision = "000_platform_base"
branch_labels = None
depends_on = None

TABLES_WITH_UPDATED_AT = (
    "add_ons",
    "add_on_features",
    "add_on_bundles",
    "pricing_rules",
    "promotional_codes",
    "cart_items",
    "user_add_ons",
    "add_on_purchases",
)

# Full-text document of an add-on: name, then feature keys, then description.
ADD_ON_SEARCH_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(features::text, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')"
)


def _id():
    return sa.Column("id", sa.Uuid, nullable=False, server_default=sa.text("gen_random_uuid()"))


def _timestamp(name, nullable=False):
    default = None if nullable else sa.func.now()
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, server_default=default)


def _jsonb(name, empty):
    return sa.Column(name, JSONB, nullable=False, server_default=sa.text(f"'{empty}'::jsonb"))


def _add_on_fk(table, ondelete):
    return sa.ForeignKeyConstraint(
        ["add_on_id"], ["add_ons.id"], name=f"fk_{table}_add_on_id", ondelete=ondelete
    )


def upgrade():
    _create_tables()
    _create_indexes()
    _create_triggers()


def _create_tables():
    op.create_table(
        "add_ons",
        _id(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("slug", sa.String(255), nullable=False),  # filled by add_ons_set_slug
        sa.Column("description", sa.Text),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("base_price", sa.Numeric(10, 2), nullable=False),
        sa.Column("billing_type", sa.String(50), nullable=False, server_default="monthly"),
        _jsonb("features", "[]"),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default="true"),
        _jsonb("metadata", "{}"),
        sa.Column("display_order", sa.Integer, nullable=False, server_default="100"),
        sa.Column(
            "search_vector",
            TSVECTOR,
            sa.Computed(ADD_ON_SEARCH_DOCUMENT, persisted=True),
            nullable=False,
        ),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_add_ons"),
        sa.UniqueConstraint("slug", name="uq_add_ons_slug"),
        sa.CheckConstraint(
            "category IN ('ai-services', 'infrastructure', 'analytics', 'development', "
            "'productivity')",
            name=op.f("ck_add_ons_category"),
        ),
        sa.CheckConstraint(
            "billing_type IN ('one_time', 'monthly', 'annual', 'usage_based')",
            name=op.f("ck_add_ons_billing_type"),
        ),
        sa.CheckConstraint("base_price >= 0", name=op.f("ck_add_ons_base_price_not_negative")),
        sa.CheckConstraint(
            "jsonb_typeof(features) = 'array'", name=op.f("ck_add_ons_features_is_array")
        ),
        sa.CheckConstraint(
            "jsonb_typeof(metadata) = 'object'", name=op.f("ck_add_ons_metadata_is_object")
        ),
    )

    op.create_table(
        "add_on_features",
        _id(),
        sa.Column("add_on_id", sa.Uuid, nullable=False),
        sa.Column("feature_key", sa.String(100), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default="true"),
        _jsonb("configuration", "{}"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_add_on_features"),
        _add_on_fk("add_on_features", "CASCADE"),
        sa.UniqueConstraint("add_on_id", "feature_key", name="uq_add_on_features_add_on_id"),
    )

    op.create_table(
        "add_on_bundles",
        _id(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("add_on_ids", ARRAY(sa.Uuid), nullable=False),
        sa.Column("discount_percent", sa.Numeric(5, 2)),
        sa.Column("discount_amount", sa.Numeric(10, 2)),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default="true"),
        _timestamp("valid_from", nullable=True),
        _timestamp("valid_until", nullable=True),
        sa.Column("display_order", sa.Integer, nullable=False, server_default="100"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_add_on_bundles"),
        sa.UniqueConstraint("name", name="uq_add_on_bundles_name"),
        sa.CheckConstraint(
            "cardinality(add_on_ids) >= 2", name=op.f("ck_add_on_bundles_at_least_two_add_ons")
        ),
        sa.CheckConstraint(
            "discount_percent IS NULL OR discount_percent BETWEEN 0 AND 100",
            name=op.f("ck_add_on_bundles_discount_percent_range"),
        ),
        sa.CheckConstraint(
            "discount_amount IS NULL OR discount_amount >= 0",
            name=op.f("ck_add_on_bundles_discount_amount_not_negative"),
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until > valid_from",
            name=op.f("ck_add_on_bundles_valid_window"),
        ),
    )

    op.create_table(
        "pricing_rules",
        _id(),
        sa.Column("add_on_id", sa.Uuid, nullable=False),
        sa.Column("tier_code", sa.String(50)),
        sa.Column("discount_percent", sa.Numeric(5, 2)),
        sa.Column("discount_amount", sa.Numeric(10, 2)),
        _jsonb("conditions", "{}"),
        sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default="true"),
        _timestamp("valid_from", nullable=True),
        _timestamp("valid_until", nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_pricing_rules"),
        _add_on_fk("pricing_rules", "CASCADE"),
        sa.CheckConstraint(
            "discount_percent IS NULL OR discount_percent BETWEEN 0 AND 100",
            name=op.f("ck_pricing_rules_discount_percent_range"),
        ),
        sa.CheckConstraint(
            "discount_amount IS NULL OR discount_amount >= 0",
            name=op.f("ck_pricing_rules_discount_amount_not_negative"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(conditions) = 'object'",
            name=op.f("ck_pricing_rules_conditions_is_object"),
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until > valid_from",
            name=op.f("ck_pricing_rules_valid_window"),
        ),
    )

    op.create_table(
        "promotional_codes",
        _id(),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("discount_type", sa.String(20), nullable=False),
        sa.Column("discount_value", sa.Numeric(10, 2), nullable=False),
        sa.Column("max_uses", sa.Integer),
        sa.Column("current_uses", sa.Integer, nullable=False, server_default="0"),
        sa.Column("applicable_to", ARRAY(sa.Uuid)),
        _timestamp("expires_at", nullable=True),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default="true"),
        _timestamp("valid_from", nullable=True),
        sa.Column("min_purchase_amount", sa.Numeric(10, 2)),
        _jsonb("user_restrictions", "{}"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_promotional_codes"),
        sa.UniqueConstraint("code", name="uq_promotional_codes_code"),
        sa.CheckConstraint(
            "discount_type IN ('percentage', 'fixed_amount')",
            name=op.f("ck_promotional_codes_discount_type"),
        ),
        sa.CheckConstraint(
            "discount_value > 0", name=op.f("ck_promotional_codes_discount_value_positive")
        ),
        sa.CheckConstraint(
            "discount_type <> 'percentage' OR discount_value <= 100",
            name=op.f("ck_promotional_codes_percentage_at_most_100"),
        ),
        sa.CheckConstraint(
            "max_uses IS NULL OR max_uses > 0", name=op.f("ck_promotional_codes_max_uses_positive")
        ),
        sa.CheckConstraint(
            "current_uses >= 0", name=op.f("ck_promotional_codes_current_uses_not_negative")
        ),
        sa.CheckConstraint(
            "max_uses IS NULL OR current_uses <= max_uses",
            name=op.f("ck_promotional_codes_current_uses_within_max"),
        ),
        sa.CheckConstraint(
            "min_purchase_amount IS NULL OR min_purchase_amount >= 0",
            name=op.f("ck_promotional_codes_min_purchase_not_negative"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(user_restrictions) = 'object'",
            name=op.f("ck_promotional_codes_user_restrictions_is_object"),
        ),
    )

    op.create_table(
        "cart_items",
        _id(),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("add_on_id", sa.Uuid, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False, server_default="1"),
        _timestamp("added_at"),
        sa.Column("unit_price_seen", sa.Numeric(10, 2)),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_cart_items"),
        _add_on_fk("cart_items", "CASCADE"),
        sa.UniqueConstraint("user_id", "add_on_id", name="uq_cart_items_user_id"),
        sa.CheckConstraint("quantity BETWEEN 1 AND 100", name=op.f("ck_cart_items_quantity_range")),
    )

    op.create_table(
        "user_add_ons",
        _id(),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("add_on_id", sa.Uuid, nullable=False),
        sa.Column("status", sa.String(50), nullable=False, server_default="active"),
        _timestamp("purchased_at"),
        _timestamp("expires_at", nullable=True),
        sa.Column("lago_subscription_id", sa.String(255)),
        sa.Column("stripe_subscription_id", sa.String(255)),
        sa.Column("auto_renew", sa.Boolean, nullable=False, server_default="true"),
        _timestamp("cancelled_at", nullable=True),
        sa.Column("cancellation_reason", sa.Text),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_user_add_ons"),
        _add_on_fk("user_add_ons", "RESTRICT"),
        sa.UniqueConstraint("user_id", "add_on_id", name="uq_user_add_ons_user_id"),
        sa.CheckConstraint(
            "status IN ('active', 'cancelled', 'expired', 'pending', 'suspended')",
            name=op.f("ck_user_add_ons_status"),
        ),
    )

    op.create_table(
        "add_on_purchases",
        _id(),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("add_on_id", sa.Uuid, nullable=False),
        sa.Column("amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False, server_default="USD"),
        sa.Column("stripe_payment_id", sa.String(255)),
        sa.Column("lago_invoice_id", sa.String(255)),
        sa.Column("status", sa.String(50), nullable=False, server_default="pending"),
        _timestamp("purchased_at"),
        sa.Column("quantity", sa.Integer, nullable=False, server_default="1"),
        sa.Column("billing_type", sa.String(50)),
        sa.Column("discount_amount", sa.Numeric(10, 2), nullable=False, server_default="0"),
        sa.Column("promo_code_id", sa.Uuid),
        sa.Column("checkout_session_id", sa.String(255)),
        _timestamp("completed_at", nullable=True),
        sa.Column("failure_reason", sa.Text),
        sa.Column("refund_amount", sa.Numeric(10, 2)),
        _timestamp("refunded_at", nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_add_on_purchases"),
        _add_on_fk("add_on_purchases", "RESTRICT"),
        sa.ForeignKeyConstraint(
            ["promo_code_id"],
            ["promotional_codes.id"],
            name="fk_add_on_purchases_promo_code_id",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'completed', 'failed', 'refunded')",
            name=op.f("ck_add_on_purchases_status"),
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_add_on_purchases_amount_not_negative")),
        sa.CheckConstraint(
            "currency ~ '^[A-Z]{3}$'", name=op.f("ck_add_on_purchases_currency_iso_4217")
        ),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_add_on_purchases_quantity_positive")),
        sa.CheckConstraint(
            "discount_amount >= 0", name=op.f("ck_add_on_purchases_discount_amount_not_negative")
        ),
        sa.CheckConstraint(
            "refund_amount IS NULL OR refund_amount BETWEEN 0 AND amount",
            name=op.f("ck_add_on_purchases_refund_within_amount"),
        ),
    )


# (name, table, columns, options): every index and the query it serves. Unique constraints
# above also serve as indexes: (user_id, add_on_id) on user_add_ons and cart_items answers
# "does this user hold / have in the cart this add-on", and its leading column answers the
# user's full list; (add_on_id, feature_key) answers "features of this add-on" for the FK.
INDEXES = [
    # add_ons -----------------------------------------------------------------------------
    # Catalog, "featured" sort: active add-ons by display order, then name.
    (
        "idx_add_ons_active_featured",
        "add_ons",
        ["display_order", "name"],
        {"postgresql_where": sa.text("is_active")},
    ),
    # Catalog filtered by category, featured sort.
    (
        "idx_add_ons_active_category",
        "add_ons",
        ["category", "display_order"],
        {"postgresql_where": sa.text("is_active")},
    ),
    # Catalog sorted by price.
    (
        "idx_add_ons_active_price",
        "add_ons",
        ["base_price"],
        {"postgresql_where": sa.text("is_active")},
    ),
    # Catalog sorted by name.
    ("idx_add_ons_active_name", "add_ons", ["name"], {"postgresql_where": sa.text("is_active")}),
    # Admin and reports: add-ons of a billing type.
    ("idx_add_ons_billing_type", "add_ons", ["billing_type"], {}),
    # JSONB feature search: add-ons whose feature list contains a key (features @> '["x"]').
    ("idx_add_ons_features", "add_ons", ["features"], {"postgresql_using": "gin"}),
    # Metadata lookups (metadata @> '{"provider": "..."}').
    ("idx_add_ons_metadata", "add_ons", ["metadata"], {"postgresql_using": "gin"}),
    # Catalog text search over name, feature keys and description (search_vector @@ query).
    ("idx_add_ons_search", "add_ons", ["search_vector"], {"postgresql_using": "gin"}),
    # add_on_features ---------------------------------------------------------------------
    # Entitlements: which add-ons enable a feature key.
    (
        "idx_add_on_features_feature_key",
        "add_on_features",
        ["feature_key"],
        {"postgresql_where": sa.text("enabled")},
    ),
    # Feature configuration search (configuration @> '{"gpu": "A100"}').
    (
        "idx_add_on_features_configuration",
        "add_on_features",
        ["configuration"],
        {"postgresql_using": "gin"},
    ),
    # add_on_bundles ----------------------------------------------------------------------
    # Bundle lookup: bundles containing an add-on (add_on_ids @> ARRAY[id]) or a cart's set.
    (
        "idx_add_on_bundles_add_on_ids",
        "add_on_bundles",
        ["add_on_ids"],
        {"postgresql_using": "gin"},
    ),
    # Bundles page: active bundles valid now.
    (
        "idx_add_on_bundles_active_window",
        "add_on_bundles",
        ["valid_from", "valid_until"],
        {"postgresql_where": sa.text("is_active")},
    ),
    # pricing_rules -----------------------------------------------------------------------
    # Pricing: active rules for the cart's add-ons and the shopper's tier, best priority first.
    (
        "idx_pricing_rules_active_lookup",
        "pricing_rules",
        ["add_on_id", "tier_code", sa.text("priority DESC")],
        {"postgresql_where": sa.text("is_active")},
    ),
    # Admin: rules of a tier (tier_code refers to subscription_tiers).
    ("idx_pricing_rules_tier_code", "pricing_rules", ["tier_code"], {}),
    # Rules by condition (conditions ? 'min_quantity').
    ("idx_pricing_rules_conditions", "pricing_rules", ["conditions"], {"postgresql_using": "gin"}),
    # promotional_codes -------------------------------------------------------------------
    # Applying a code typed in any case: WHERE upper(code) = upper(:code); unique likewise.
    (
        "idx_promotional_codes_code_upper",
        "promotional_codes",
        [sa.text("upper(code)")],
        {"unique": True},
    ),
    # Maintenance: deactivate active codes past expires_at.
    (
        "idx_promotional_codes_active_expiry",
        "promotional_codes",
        ["expires_at"],
        {"postgresql_where": sa.text("is_active")},
    ),
    # Codes restricted to an add-on (applicable_to @> ARRAY[id]).
    (
        "idx_promotional_codes_applicable_to",
        "promotional_codes",
        ["applicable_to"],
        {"postgresql_using": "gin"},
    ),
    # cart_items --------------------------------------------------------------------------
    # Cart retrieval: a shopper's lines in the order they were added.
    ("idx_cart_items_user", "cart_items", ["user_id", "added_at"], {}),
    # Foreign key to add_ons (deleting an add-on cascades here).
    ("idx_cart_items_add_on_id", "cart_items", ["add_on_id"], {}),
    # Maintenance: abandoned carts (added_at < now() - 30 days).
    ("idx_cart_items_added_at", "cart_items", ["added_at"], {}),
    # user_add_ons ------------------------------------------------------------------------
    # User's active add-ons and feature entitlements (index-only with expires_at included).
    (
        "idx_user_add_ons_user_id",
        "user_add_ons",
        ["user_id", "add_on_id"],
        {"postgresql_where": sa.text("status = 'active'"), "postgresql_include": ["expires_at"]},
    ),
    # Foreign key to add_ons (RESTRICT check on delete) and subscribers of an add-on.
    ("idx_user_add_ons_add_on_id", "user_add_ons", ["add_on_id"], {}),
    # Maintenance: active subscriptions past expires_at.
    (
        "idx_user_add_ons_active_expiry",
        "user_add_ons",
        ["expires_at"],
        {"postgresql_where": sa.text("status = 'active' AND expires_at IS NOT NULL")},
    ),
    # Admin usage analytics: subscriptions by status and add-on.
    ("idx_user_add_ons_status", "user_add_ons", ["status", "add_on_id"], {}),
    # Lago sync: find a subscription by its Lago id.
    (
        "idx_user_add_ons_lago_subscription",
        "user_add_ons",
        ["lago_subscription_id"],
        {"postgresql_where": sa.text("lago_subscription_id IS NOT NULL")},
    ),
    # Stripe renewals and cancellations: find a subscription by its Stripe id.
    (
        "idx_user_add_ons_stripe_subscription",
        "user_add_ons",
        ["stripe_subscription_id"],
        {"postgresql_where": sa.text("stripe_subscription_id IS NOT NULL")},
    ),
    # add_on_purchases --------------------------------------------------------------------
    # Purchase history: a user's purchases, newest first.
    (
        "idx_add_on_purchases_user_date",
        "add_on_purchases",
        ["user_id", sa.text("purchased_at DESC")],
        {},
    ),
    # Foreign key to add_ons (RESTRICT check on delete) and sales of an add-on.
    ("idx_add_on_purchases_add_on_id", "add_on_purchases", ["add_on_id"], {}),
    # Admin: purchases by status over a period.
    ("idx_add_on_purchases_status_date", "add_on_purchases", ["status", "purchased_at"], {}),
    # Revenue analytics over a date range.
    ("idx_add_on_purchases_date", "add_on_purchases", ["purchased_at"], {}),
    # Checkout clean-up: pending purchases older than a session's lifetime.
    (
        "idx_add_on_purchases_pending",
        "add_on_purchases",
        ["created_at"],
        {"postgresql_where": sa.text("status = 'pending'")},
    ),
    # Fulfilment: the purchases of a Checkout Session.
    (
        "idx_add_on_purchases_checkout_session",
        "add_on_purchases",
        ["checkout_session_id"],
        {"postgresql_where": sa.text("checkout_session_id IS NOT NULL")},
    ),
    # Refunds: find a purchase by its Stripe payment.
    (
        "idx_add_on_purchases_stripe_payment",
        "add_on_purchases",
        ["stripe_payment_id"],
        {"postgresql_where": sa.text("stripe_payment_id IS NOT NULL")},
    ),
    # Foreign key to promotional_codes (SET NULL on delete) and a code's redemptions.
    (
        "idx_add_on_purchases_promo_code",
        "add_on_purchases",
        ["promo_code_id"],
        {"postgresql_where": sa.text("promo_code_id IS NOT NULL")},
    ),
]


def _create_indexes():
    for name, table, columns, options in INDEXES:
        op.create_index(name, table, columns, **options)


def _create_triggers():
    op.execute(
        """
        CREATE OR REPLACE FUNCTION update_updated_at_column() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.updated_at = NOW();
            RETURN NEW;
        END;
        $$
        """
    )
    for table in TABLES_WITH_UPDATED_AT:
        op.execute(
            f"CREATE TRIGGER {table}_updated_at BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()"
        )
    # SQL that inserts an add-on with the guide's columns only still gets a slug (the URL key).
    # Same rule as marketplace.models.catalog.slugify.
    op.execute(
        """
        CREATE OR REPLACE FUNCTION set_add_on_slug() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.slug IS NULL OR NEW.slug = '' THEN
                NEW.slug = trim(BOTH '-' FROM
                    lower(regexp_replace(NEW.name, '[^A-Za-z0-9]+', '-', 'g')));
            END IF;
            RETURN NEW;
        END;
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER add_ons_set_slug BEFORE INSERT ON add_ons "
        "FOR EACH ROW EXECUTE FUNCTION set_add_on_slug()"
    )


def downgrade():
    # The guide's rollback procedure: dropping the tables drops their indexes and triggers.
    for table in (
        "promotional_codes",
        "add_on_features",
        "cart_items",
        "pricing_rules",
        "add_on_bundles",
        "add_on_purchases",
        "user_add_ons",
        "add_ons",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP FUNCTION IF EXISTS update_updated_at_column() CASCADE")
    op.execute("DROP FUNCTION IF EXISTS set_add_on_slug() CASCADE")
