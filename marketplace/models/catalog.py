"""The product catalog: add-ons and the platform features each one enables."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.models.base import Base, Money, Timestamps, UuidPrimaryKey
from marketplace.models.platform import FeatureDefinition
from marketplace.vocabulary import BillingType, sql_list

CATEGORIES = ("ai-services", "infrastructure", "analytics", "development", "productivity")


def slugify(name: str) -> str:
    """Return the URL key for `name`; the same rule as the `set_add_on_slug` trigger."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).lower().strip("-")


# The search's match classes below the whole document: the name (weight A); name, summary and
# category (AB); and those with feature names (ABC). Each is GIN-indexed on its own (migration
# 019_search_classes), so one class's matches are listed without re-checking every match.
SEARCH_CLASS_WEIGHTS = ("a", "ab", "abc")


def class_search_document(weights: str) -> Any:
    """`search_document` kept to the lexemes of `weights`, as its GIN index is built on it.

    Unqualified, so the same expression reads a subquery's `search_document` too.
    """
    return func.ts_filter(
        literal_column("search_document"),
        literal_column(f"""'{{{",".join(weights)}}}'::"char"[]"""),
    )


class AddOn(UuidPrimaryKey, Timestamps, Base):
    """A product in the catalog: price, billing type, category and the features it turns on."""

    __tablename__ = "add_ons"
    __table_args__ = (
        UniqueConstraint("slug"),
        CheckConstraint(
            "category IN ('ai-services', 'infrastructure', 'analytics', 'development', "
            "'productivity')",
            name="category",
        ),
        CheckConstraint(
            f"billing_type IN ({sql_list(BillingType)})",
            name="billing_type",
        ),
        CheckConstraint("base_price >= 0", name="base_price_not_negative"),
        CheckConstraint("jsonb_typeof(features) = 'array'", name="features_is_array"),
        CheckConstraint("jsonb_typeof(metadata) = 'object'", name="metadata_is_object"),
        Index(
            "idx_add_ons_active_featured",
            "display_order",
            "name",
            postgresql_where=text("is_active"),
        ),
        Index(
            "idx_add_ons_active_category",
            "category",
            "display_order",
            postgresql_where=text("is_active"),
        ),
        Index("idx_add_ons_active_price", "base_price", postgresql_where=text("is_active")),
        Index("idx_add_ons_active_name", "name", postgresql_where=text("is_active")),
        Index("idx_add_ons_billing_type", "billing_type"),
        Index("idx_add_ons_features", "features", postgresql_using="gin"),
        Index("idx_add_ons_metadata", "metadata", postgresql_using="gin"),
        Index("idx_add_ons_search_document", "search_document", postgresql_using="gin"),
        *(
            Index(
                f"idx_add_ons_search_{weights}",
                class_search_document(weights),
                postgresql_using="gin",
            )
            for weights in SEARCH_CLASS_WEIGHTS
        ),
        # The admin list's sorts, over every add-on, with the id as the keyset tie-breaker.
        Index("idx_add_ons_admin_name", "name", "id"),
        Index("idx_add_ons_admin_price", "base_price", "id"),
        Index("idx_add_ons_admin_updated", "updated_at", "id"),
    )

    name: Mapped[str] = mapped_column(String(255))
    # Filled from the name by a trigger when an INSERT leaves it out.
    slug: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(100))
    base_price: Mapped[Decimal] = mapped_column(Money)
    billing_type: Mapped[str] = mapped_column(String(50), server_default=BillingType.MONTHLY.value)
    features: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # `metadata` is reserved on declarative classes, hence the attribute name.
    meta: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONB, server_default=text("'{}'::jsonb")
    )
    display_order: Mapped[int] = mapped_column(Integer, server_default="100")
    # What catalog search reads, kept by triggers (migration 007_catalog_search): name (A),
    # summary and category (B), feature names (C), the rest of the description (D).
    search_document: Mapped[str] = mapped_column(
        TSVECTOR, server_default=text("''::tsvector"), deferred=True
    )

    feature_rows: Mapped[list[AddOnFeature]] = relationship(
        back_populates="add_on", order_by="AddOnFeature.feature_key", passive_deletes=True
    )


class AddOnFeature(UuidPrimaryKey, Timestamps, Base):
    """A platform feature an add-on turns on, with its configuration."""

    __tablename__ = "add_on_features"
    __table_args__ = (
        UniqueConstraint("add_on_id", "feature_key"),
        Index("idx_add_on_features_feature_key", "feature_key", postgresql_where=text("enabled")),
        Index("idx_add_on_features_configuration", "configuration", postgresql_using="gin"),
    )

    add_on_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("add_ons.id", ondelete="CASCADE"))
    # Refers to feature_definitions.key; checked by the application (platform table).
    feature_key: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    configuration: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))

    add_on: Mapped[AddOn] = relationship(back_populates="feature_rows")
    # The platform's name for the key; no foreign key (the platform owns that table).
    definition: Mapped[FeatureDefinition | None] = relationship(
        primaryjoin="foreign(AddOnFeature.feature_key) == FeatureDefinition.key", viewonly=True
    )
