"""`flask verify`: the guide's Verification Checklist, plus the schema details it relies on.

Seed checks count the seed rows by natural key ("the 9 seed add-ons are present"), not whole
tables, so a database that also holds demo or admin-made rows still passes.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from marketplace.cli import seed_data
from marketplace.cli.preflight import requires_database
from marketplace.config import PROJECT_ROOT
from marketplace.extensions import db
from marketplace.models import MARKETPLACE_TABLES, AddOn, AddOnBundle, AddOnFeature, PromotionalCode
from marketplace.models.catalog import slugify

MIN_ADD_ON_FEATURES = 40
MIN_INDEXES = 30
MIN_FOREIGN_KEYS = 5
FK_TABLES = ("user_add_ons", "add_on_purchases", "pricing_rules", "cart_items", "add_on_features")
NAMED_INDEXES = (
    "idx_add_ons_features",
    "idx_user_add_ons_user_id",
    "idx_cart_items_user",
    "idx_add_on_purchases_user_date",
)


@dataclass(frozen=True)
class CheckResult:
    name: str
    expected: str
    found: str
    ok: bool


def migration_head() -> str:
    """Return the head revision of the project's migration scripts."""
    heads = ScriptDirectory(str(PROJECT_ROOT / "migrations")).get_heads()
    return ", ".join(sorted(heads))


def run_checks(session: Session, head: str | None = None) -> list[CheckResult]:
    """Run every check against the database of `session`; nothing is changed."""
    head = head or migration_head()
    results = [_table_count(session)]
    results += _seed_checks(session)
    results += [
        _at_least("indexes on add_* tables", MIN_INDEXES, _index_count(session)),
        _at_least("foreign keys on the guide's 5 tables", MIN_FOREIGN_KEYS, _fk_count(session)),
        _updated_at_triggers(session),
    ]
    results += [_named_index(session, name) for name in NAMED_INDEXES]
    results.append(_revision(session, head))
    return results


def _at_least(name: str, minimum: int, found: int) -> CheckResult:
    return CheckResult(name, f">= {minimum}", str(found), found >= minimum)


def _exactly(name: str, expected: int, found: int) -> CheckResult:
    return CheckResult(name, str(expected), str(found), found == expected)


def _table_count(session: Session) -> CheckResult:
    found = session.scalar(
        text(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name = ANY(:tables)"
        ),
        {"tables": list(MARKETPLACE_TABLES)},
    )
    return _exactly("marketplace tables", len(MARKETPLACE_TABLES), found)


def _seed_checks(session: Session) -> list[CheckResult]:
    slugs = [slugify(add_on["name"]) for add_on in seed_data.ADD_ONS]
    codes = [promo["code"].upper() for promo in seed_data.PROMO_CODES]
    bundles = [bundle["name"] for bundle in seed_data.BUNDLES]

    def count(model, condition) -> int:
        return session.scalars(select(func.count()).select_from(model).where(condition)).one()

    return [
        _exactly("seed add-ons present", len(slugs), count(AddOn, AddOn.slug.in_(slugs))),
        _at_least(
            "add_on_features rows",
            MIN_ADD_ON_FEATURES,
            session.scalars(select(func.count()).select_from(AddOnFeature)).one(),
        ),
        _exactly(
            "seed promo codes present",
            len(codes),
            count(PromotionalCode, func.upper(PromotionalCode.code).in_(codes)),
        ),
        _exactly(
            "seed bundles present", len(bundles), count(AddOnBundle, AddOnBundle.name.in_(bundles))
        ),
    ]


def _index_count(session: Session) -> int:
    # The guide's query (LIKE's `_` matches any character), limited to this schema.
    return session.scalar(
        text(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() "
            "AND (tablename LIKE 'add_%' OR tablename LIKE '%_add_%')"
        )
    )


def _fk_count(session: Session) -> int:
    return session.scalar(
        text(
            "SELECT count(*) FROM information_schema.table_constraints "
            "WHERE constraint_type = 'FOREIGN KEY' AND table_schema = current_schema() "
            "AND table_name = ANY(:tables)"
        ),
        {"tables": list(FK_TABLES)},
    )


def _updated_at_triggers(session: Session) -> CheckResult:
    rows = session.execute(
        text(
            """
            SELECT c.table_name,
                   EXISTS (
                       SELECT 1 FROM pg_trigger t
                       JOIN pg_proc p ON p.oid = t.tgfoid
                       WHERE t.tgrelid = to_regclass(quote_ident(c.table_name))
                         AND NOT t.tgisinternal AND t.tgenabled <> 'D'
                         AND p.proname = 'update_updated_at_column'
                   )
            FROM information_schema.columns c
            WHERE c.table_schema = current_schema() AND c.column_name = 'updated_at'
              AND c.table_name = ANY(:tables)
            ORDER BY c.table_name
            """
        ),
        {"tables": list(MARKETPLACE_TABLES)},
    ).all()
    missing = [table for table, has_trigger in rows if not has_trigger]
    found = f"{len(rows) - len(missing)}/{len(rows)}"
    if missing:
        found += f" (missing: {', '.join(missing)})"
    return CheckResult(
        "update_updated_at_column triggers", f"{len(rows)}/{len(rows)}", found, not missing
    )


def _named_index(session: Session, name: str) -> CheckResult:
    exists = session.scalar(
        text("SELECT to_regclass(quote_ident(:name)) IS NOT NULL"), {"name": name}
    )
    return CheckResult(f"index {name}", "exists", "exists" if exists else "missing", exists)


def _revision(session: Session, head: str) -> CheckResult:
    found = session.scalar(text("SELECT string_agg(version_num, ', ') FROM alembic_version"))
    return CheckResult("alembic revision", head, found or "none", found == head)


def print_results(results: list[CheckResult]) -> None:
    rows = [("check", "expected", "found", "status")] + [
        (result.name, result.expected, result.found, "OK" if result.ok else "FAIL")
        for result in results
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for name, expected, found, status in rows:
        click.echo(f"{name:<{widths[0]}}  {expected:<{widths[1]}}  {found:<{widths[2]}}  {status}")


@click.command("verify")
@requires_database
def verify_command() -> None:
    """Run the deployment guide's verification checklist; exit 1 if any check fails."""
    results = run_checks(db.session())
    print_results(results)
    failed = [result for result in results if not result.ok]
    if failed:
        click.echo(f"{len(failed)} of {len(results)} checks failed.", err=True)
        raise SystemExit(1)
    click.echo(f"All {len(results)} checks passed.")
