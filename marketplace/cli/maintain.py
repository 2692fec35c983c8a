"""`flask maintain …`: the guide's daily, weekly and monthly maintenance tasks.

Row tasks change at most `batch_size` rows per statement, taking only rows nobody else has
locked (`FOR UPDATE SKIP LOCKED`), and the command commits after every batch: locks stay short
next to live traffic, and rows skipped because a shopper holds them are picked up next run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from marketplace.cli.preflight import MARKETPLACE_TABLES, DatabaseGroup
from marketplace.extensions import db
from marketplace.models.base import utcnow

BATCH_SIZE = 5000
DEFAULT_CART_DAYS = 30
SCHEDULES = {
    "daily": ("cleanup-carts",),
    "weekly": ("expire-subscriptions", "deactivate-promos"),
    "monthly": ("analyze", "vacuum"),
}

AfterBatch = Callable[[int], None]


@dataclass(frozen=True)
class RowTask:
    """A batched DELETE or UPDATE: `select` picks the rows (a WHERE on `table`), `change` acts."""

    table: str
    where: str
    change: str  # a DELETE/UPDATE of `table` AS t joined to the locked `batch` of ids

    def count(self, session: Session, params: dict) -> int:
        return session.scalar(text(f"SELECT count(*) FROM {self.table} WHERE {self.where}"), params)

    def run(
        self,
        session: Session,
        params: dict,
        *,
        dry_run: bool,
        batch_size: int,
        after_batch: AfterBatch | None,
    ) -> int:
        if dry_run:
            return self.count(session, params)
        statement = text(
            f"WITH batch AS (SELECT id FROM {self.table} WHERE {self.where} "
            f"LIMIT :batch_size FOR UPDATE SKIP LOCKED) {self.change}"
        )
        total = 0
        while True:
            changed = session.execute(statement, {**params, "batch_size": batch_size}).rowcount
            total += changed
            if after_batch is not None and changed:
                after_batch(changed)
            if changed < batch_size:
                return total


ABANDONED_CARTS = RowTask(
    table="cart_items",
    where="added_at < :cutoff",
    change="DELETE FROM cart_items t USING batch WHERE t.id = batch.id",
)
EXPIRED_SUBSCRIPTIONS = RowTask(
    table="user_add_ons",
    where="status = 'active' AND expires_at < :now",
    change="UPDATE user_add_ons t SET status = 'expired' FROM batch WHERE t.id = batch.id",
)
EXPIRED_PROMOS = RowTask(
    table="promotional_codes",
    where="is_active AND expires_at < :now",
    change="UPDATE promotional_codes t SET is_active = false FROM batch WHERE t.id = batch.id",
)


def cleanup_carts(
    session: Session,
    days: int = DEFAULT_CART_DAYS,
    dry_run: bool = False,
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    after_batch: AfterBatch | None = None,
) -> int:
    """Delete cart lines added more than `days` ago; return how many (or would be, dry run)."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    return ABANDONED_CARTS.run(
        session,
        {"cutoff": cutoff},
        dry_run=dry_run,
        batch_size=batch_size,
        after_batch=after_batch,
    )


def expire_subscriptions(
    session: Session,
    dry_run: bool = False,
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    after_batch: AfterBatch | None = None,
) -> int:
    """Mark active subscriptions past `expires_at` expired; return how many."""
    return EXPIRED_SUBSCRIPTIONS.run(
        session,
        {"now": now or utcnow()},
        dry_run=dry_run,
        batch_size=batch_size,
        after_batch=after_batch,
    )


def deactivate_promos(
    session: Session,
    dry_run: bool = False,
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    after_batch: AfterBatch | None = None,
) -> int:
    """Deactivate active promo codes past `expires_at`; return how many."""
    return EXPIRED_PROMOS.run(
        session,
        {"now": now or utcnow()},
        dry_run=dry_run,
        batch_size=batch_size,
        after_batch=after_batch,
    )


@dataclass(frozen=True)
class TableStats:
    table: str
    live_rows: int
    dead_rows: int
    modified_since_analyze: int


def table_stats(bind: Session | Connection) -> list[TableStats]:
    """Return the statistics collector's row counts for the marketplace tables."""
    rows = bind.execute(
        text(
            "SELECT t, coalesce(s.n_live_tup, 0), coalesce(s.n_dead_tup, 0), "
            "coalesce(s.n_mod_since_analyze, 0) "
            "FROM unnest(CAST(:tables AS text[])) WITH ORDINALITY AS u(t, position) "
            "LEFT JOIN pg_stat_user_tables s "
            "ON s.relname = u.t AND s.schemaname = current_schema() "
            "ORDER BY position"
        ),
        {"tables": list(MARKETPLACE_TABLES)},
    ).all()
    return [TableStats(*row) for row in rows]


def analyze_tables(session: Session, dry_run: bool = False) -> list[TableStats]:
    """ANALYZE the marketplace tables (allowed in a transaction); return their stats before."""
    stats = table_stats(session)
    if not dry_run:
        for table in MARKETPLACE_TABLES:
            session.execute(text(f"ANALYZE {table}"))
    return stats


def vacuum_tables(
    engine: Engine,
    dry_run: bool = False,
    *,
    after_table: Callable[[str], None] | None = None,
) -> list[TableStats]:
    """VACUUM (ANALYZE) the marketplace tables outside any transaction; return stats before."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        stats = table_stats(connection)
        if not dry_run:
            for table in MARKETPLACE_TABLES:
                connection.execute(text(f"VACUUM (ANALYZE) {table}"))
                if after_table is not None:
                    after_table(table)
    return stats


# --- the commands -------------------------------------------------------------------------


def _say(task: str, dry_run: bool, message: str) -> None:
    suffix = " (dry run: nothing changed)" if dry_run else ""
    click.echo(f"{task}: {message}{suffix}")


def _run_rows(
    task: str,
    run: Callable[..., int],
    *,
    dry_run: bool,
    batch_size: int,
    noun: str,
    **kwargs,
) -> int:
    """Run a row task with a progress bar, committing after each batch."""
    # A dry run counts what a real one would change, which also sizes the progress bar.
    pending = run(db.session, dry_run=True, **kwargs)
    if dry_run or not pending:
        return pending
    with click.progressbar(length=pending, label=f"{task}: {noun}") as bar:

        def after_batch(changed: int) -> None:
            db.session.commit()
            bar.update(changed)

        changed = run(
            db.session, dry_run=False, batch_size=batch_size, after_batch=after_batch, **kwargs
        )
    db.session.commit()
    return changed


def do_cleanup_carts(days: int, dry_run: bool, batch_size: int, now: datetime) -> int:
    cutoff = now - timedelta(days=days)
    deleted = _run_rows(
        "cleanup-carts",
        cleanup_carts,
        dry_run=dry_run,
        batch_size=batch_size,
        noun="deleting cart lines",
        days=days,
        now=now,
    )
    verb = "would delete" if dry_run else "deleted"
    _say(
        "cleanup-carts",
        dry_run,
        f"{verb} {deleted} cart lines added before {cutoff:%Y-%m-%d %H:%M} UTC "
        f"(older than {days} days)",
    )
    return deleted


def do_expire_subscriptions(dry_run: bool, batch_size: int, now: datetime) -> int:
    expired = _run_rows(
        "expire-subscriptions",
        expire_subscriptions,
        dry_run=dry_run,
        batch_size=batch_size,
        noun="expiring subscriptions",
        now=now,
    )
    verb = "would mark" if dry_run else "marked"
    _say("expire-subscriptions", dry_run, f"{verb} {expired} active subscriptions expired")
    return expired


def do_deactivate_promos(dry_run: bool, batch_size: int, now: datetime) -> int:
    deactivated = _run_rows(
        "deactivate-promos",
        deactivate_promos,
        dry_run=dry_run,
        batch_size=batch_size,
        noun="deactivating promo codes",
        now=now,
    )
    verb = "would deactivate" if dry_run else "deactivated"
    _say("deactivate-promos", dry_run, f"{verb} {deactivated} expired promo codes")
    return deactivated


def do_analyze(dry_run: bool) -> int:
    stats = analyze_tables(db.session, dry_run=dry_run)
    db.session.commit()
    for row in stats:
        click.echo(
            f"  {row.table:<20} {row.modified_since_analyze:>10} rows changed since last analyze"
        )
    verb = "would analyze" if dry_run else "analyzed"
    _say("analyze", dry_run, f"{verb} {len(stats)} tables")
    return len(stats)


def do_vacuum(dry_run: bool) -> int:
    db.session.commit()  # VACUUM runs on its own connection; hold no transaction meanwhile.
    if dry_run:
        stats = vacuum_tables(db.engine, dry_run=True)
    else:
        with click.progressbar(length=len(MARKETPLACE_TABLES), label="vacuum: tables") as bar:
            stats = vacuum_tables(db.engine, after_table=lambda _table: bar.update(1))
    for row in stats:
        click.echo(f"  {row.table:<20} {row.dead_rows:>10} dead rows before")
    dead = sum(row.dead_rows for row in stats)
    verb = "would vacuum" if dry_run else "vacuumed and analyzed"
    _say("vacuum", dry_run, f"{verb} {len(stats)} tables ({dead} dead rows before)")
    return len(stats)


dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Count what would change; change nothing."
)
batch_size_option = click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=BATCH_SIZE,
    show_default=True,
    help="Rows changed per statement (and per commit).",
)
days_option = click.option(
    "--days",
    type=click.IntRange(min=0),
    default=DEFAULT_CART_DAYS,
    show_default=True,
    help="Delete cart lines added more than this many days ago.",
)


@click.group("maintain", cls=DatabaseGroup)
def maintain_group() -> None:
    """Run the deployment guide's maintenance tasks."""


@maintain_group.command("cleanup-carts")
@days_option
@dry_run_option
@batch_size_option
def cleanup_carts_command(days: int, dry_run: bool, batch_size: int) -> None:
    """Delete abandoned cart lines (daily)."""
    do_cleanup_carts(days, dry_run, batch_size, utcnow())


@maintain_group.command("expire-subscriptions")
@dry_run_option
@batch_size_option
def expire_subscriptions_command(dry_run: bool, batch_size: int) -> None:
    """Mark active subscriptions past their expiry as expired (weekly)."""
    do_expire_subscriptions(dry_run, batch_size, utcnow())


@maintain_group.command("deactivate-promos")
@dry_run_option
@batch_size_option
def deactivate_promos_command(dry_run: bool, batch_size: int) -> None:
    """Deactivate promo codes past their expiry (weekly)."""
    do_deactivate_promos(dry_run, batch_size, utcnow())


@maintain_group.command("analyze")
@dry_run_option
def analyze_command(dry_run: bool) -> None:
    """ANALYZE the marketplace tables (monthly)."""
    do_analyze(dry_run)


@maintain_group.command("vacuum")
@dry_run_option
def vacuum_command(dry_run: bool) -> None:
    """VACUUM (ANALYZE) the marketplace tables (monthly)."""
    do_vacuum(dry_run)


def do_sync_billing(limit: int) -> int:
    from flask import current_app

    from marketplace.billing.sync import sync_billing

    report = sync_billing(db.session, current_app.config, limit=limit)
    if report is None:
        click.echo("sync-billing: neither Lago nor payments is configured; skipped")
        return 0
    for error in report.errors:
        click.echo(f"  failed: {error}")
    click.echo(
        f"sync-billing: delivered {report.delivered}, failed {report.failed} "
        f"(retried later with backoff), {report.still_pending} pending"
    )
    return report.delivered


@maintain_group.command("sync-billing")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Outbox entries to send in this run.",
)
def sync_billing_command(limit: int) -> None:
    """Deliver due Lago and Stripe calls from the outbox, backing off failures (every few min)."""
    do_sync_billing(limit)


@maintain_group.command("run")
@click.argument("schedule", type=click.Choice(list(SCHEDULES)))
@days_option
@dry_run_option
@batch_size_option
def run_command(schedule: str, days: int, dry_run: bool, batch_size: int) -> None:
    """Run every task of a schedule: daily, weekly or monthly."""
    now = utcnow()
    tasks = {
        "cleanup-carts": lambda: do_cleanup_carts(days, dry_run, batch_size, now),
        "expire-subscriptions": lambda: do_expire_subscriptions(dry_run, batch_size, now),
        "deactivate-promos": lambda: do_deactivate_promos(dry_run, batch_size, now),
        "analyze": lambda: do_analyze(dry_run),
        "vacuum": lambda: do_vacuum(dry_run),
    }
    click.echo(f"Running {schedule} maintenance{' (dry run)' if dry_run else ''}:")
    counts = {name: tasks[name]() for name in SCHEDULES[schedule]}
    summary = ", ".join(f"{name} {count}" for name, count in counts.items())
    done = "dry run done, would change" if dry_run else "done"
    click.echo(f"{schedule.capitalize()} maintenance {done}: {summary}.")
