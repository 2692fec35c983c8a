"""`flask seed`: load the guide's seed catalog, inserting only what is missing.

Every row is matched by its natural key (tier code, feature key, add-on slug, add-on and
feature key, promo code in any case, bundle name, and add-on + tier + conditions for pricing
rules). A row already present is never touched, so prices, `is_active`, `current_uses` and
`expires_at` that an admin or shoppers changed survive a second run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import Table, cast, func, select, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Session

from marketplace.cli import seed_data
from marketplace.cli.preflight import DatabaseGroup, check_app_database
from marketplace.extensions import db
from marketplace.models import (
    AddOn,
    AddOnBundle,
    AddOnFeature,
    FeatureDefinition,
    PricingRule,
    PromotionalCode,
    SubscriptionTier,
)
from marketplace.models.base import utcnow
from marketplace.models.catalog import slugify

# Serialises concurrent seed runs (pricing rules have no unique key to conflict on).
SEED_LOCK_KEY = 0x5EED_CA7A


@dataclass(frozen=True)
class TableCount:
    inserted: int
    present: int


@dataclass
class SeedReport:
    """Per table, in seeding order: rows inserted now and seed rows that were already there."""

    tables: dict[str, TableCount] = field(default_factory=dict)

    def add(self, table: str, wanted: int, inserted: int) -> None:
        self.tables[table] = TableCount(inserted=inserted, present=wanted - inserted)

    @property
    def inserted(self) -> int:
        return sum(count.inserted for count in self.tables.values())


def seed_catalog(session: Session, now: datetime) -> SeedReport:
    """Insert the seed rows missing from the database; commit is the caller's."""
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEED_LOCK_KEY})
    report = SeedReport()
    _insert_missing(session, report, SubscriptionTier, seed_data.TIERS)
    _insert_missing(session, report, FeatureDefinition, _feature_definitions())
    _insert_missing(session, report, AddOn, _add_ons())
    ids = _add_on_ids(session)
    _insert_missing(session, report, AddOnFeature, _add_on_features(ids))
    _insert_missing(session, report, PromotionalCode, _promo_codes(now))
    _insert_missing(session, report, AddOnBundle, _bundles(ids))
    _insert_pricing_rules(session, report, ids)
    return report


def _insert_missing(session: Session, report: SeedReport, model, rows: list[dict]) -> None:
    table: Table = model.__table__
    statement = insert(model).values(rows).on_conflict_do_nothing().returning(table.c[0])
    inserted = len(session.execute(statement).all())
    report.add(table.name, len(rows), inserted)


def _feature_definitions() -> list[dict]:
    # No description: the name says what the feature is, and the product page shows its
    # configuration; "<name>, included with <add-on>." on every one was filler.
    return [
        {"key": key, "name": name, "description": None, "category": add_on["category"]}
        for add_on in seed_data.ADD_ONS
        for key, name, _configuration in add_on["features"]
    ]


def _add_ons() -> list[dict]:
    return [
        {
            "name": add_on["name"],
            "slug": slugify(add_on["name"]),
            "description": add_on["description"],
            "category": add_on["category"],
            "base_price": add_on["base_price"],
            "billing_type": "monthly",
            "features": [key for key, _name, _configuration in add_on["features"]],
            "meta": add_on["metadata"],
            "display_order": position * 10,
        }
        for position, add_on in enumerate(seed_data.ADD_ONS, start=1)
    ]


def _add_on_ids(session: Session) -> dict[str, uuid.UUID]:
    """Map each seed add-on's name to the id of the row with its slug."""
    slugs = {slugify(add_on["name"]): add_on["name"] for add_on in seed_data.ADD_ONS}
    rows = session.execute(select(AddOn.slug, AddOn.id).where(AddOn.slug.in_(slugs)))
    return {slugs[slug]: add_on_id for slug, add_on_id in rows}


def _add_on_features(ids: dict[str, uuid.UUID]) -> list[dict]:
    return [
        {"add_on_id": ids[add_on["name"]], "feature_key": key, "configuration": configuration}
        for add_on in seed_data.ADD_ONS
        for key, _name, configuration in add_on["features"]
    ]


def _promo_codes(now: datetime) -> list[dict]:
    return [
        {
            "code": promo["code"],
            "description": promo["description"],
            "discount_type": promo["discount_type"],
            "discount_value": promo["discount_value"],
            "max_uses": promo["max_uses"],
            "expires_at": now + timedelta(days=promo["expires_in_days"]),
            "user_restrictions": promo["user_restrictions"],
        }
        for promo in seed_data.PROMO_CODES
    ]


def _bundles(ids: dict[str, uuid.UUID]) -> list[dict]:
    return [
        {
            "name": bundle["name"],
            "description": bundle["description"],
            "add_on_ids": [ids[name] for name in bundle["add_ons"]],
            "discount_percent": bundle["discount_percent"],
            "display_order": position * 10,
        }
        for position, bundle in enumerate(seed_data.BUNDLES, start=1)
    ]


def _insert_pricing_rules(session: Session, report: SeedReport, ids: dict[str, uuid.UUID]) -> None:
    wanted = inserted = 0
    for rule in seed_data.PRICING_RULES:
        names = [rule["add_on"]] if rule["add_on"] else [a["name"] for a in seed_data.ADD_ONS]
        for name in names:
            wanted += 1
            exists = session.scalar(
                select(func.count())
                .select_from(PricingRule)
                .where(
                    PricingRule.add_on_id == ids[name],
                    PricingRule.tier_code.is_not_distinct_from(rule["tier_code"]),
                    PricingRule.conditions == cast(rule["conditions"], JSONB),
                )
            )
            if exists:
                continue
            session.add(
                PricingRule(
                    add_on_id=ids[name],
                    tier_code=rule["tier_code"],
                    discount_percent=rule["discount_percent"],
                    conditions=rule["conditions"],
                    priority=rule["priority"],
                )
            )
            inserted += 1
    session.flush()
    report.add(PricingRule.__tablename__, wanted, inserted)


def print_report(report: SeedReport) -> None:
    click.echo(f"{'table':<22} {'inserted':>8} {'already present':>16}")
    for table, count in report.tables.items():
        click.echo(f"{table:<22} {count.inserted:>8} {count.present:>16}")
    if report.inserted:
        click.echo(f"Seeded {report.inserted} rows.")
    else:
        click.echo("Nothing to do: the seed catalog is already present.")


@click.group("seed", cls=DatabaseGroup, invoke_without_command=True)
@with_appcontext
def seed_group() -> None:
    """Load the guide's seed catalog (tiers, features, add-ons, promo codes, bundles)."""
    if click.get_current_context().invoked_subcommand is not None:
        return  # the subcommand checks the database itself (DatabaseGroup)
    check_app_database()
    report = seed_catalog(db.session(), utcnow())
    db.session.commit()
    print_report(report)
