"""`flask maintain …`: the guide's daily, weekly and monthly maintenance tasks.

A thin shell over `marketplace.maintenance`: progress bars, commits after every batch, and one
summary line per task. Every command takes `--dry-run`.
"""

from __future__ import annotations

from datetime import datetime

import click

from marketplace.cli.preflight import DatabaseGroup
from marketplace.extensions import db
from marketplace.maintenance.analytics import TABLES as ANALYTICS_TABLES
from marketplace.maintenance.analytics import VIEWS as ANALYTICS_VIEWS
from marketplace.maintenance.analytics import refresh as refresh_analytics
from marketplace.maintenance.rows import BATCH_SIZE, DEFAULT_CART_DAYS, ROW_TASKS, RowTask
from marketplace.maintenance.tables import analyze_tables, vacuum_rewritten, vacuum_tables
from marketplace.models import MARKETPLACE_TABLES
from marketplace.models.base import utcnow

# What a shop's cron runs: `frequent` every minute (the outbox's calls and letters go out, and
# the analytics follow each sale, refund and cancellation within the minute), the rest as named.
INCREMENTAL_REFRESH = "refresh-analytics --incremental"
OUTBOX_LIMIT = 500  # outbox entries one delivery run sends
SCHEDULES = {
    "frequent": ("deliver-outbox", INCREMENTAL_REFRESH),
    "daily": ("cleanup-carts", "expire-idempotency-keys", "refresh-analytics"),
    "weekly": ("expire-subscriptions", "deactivate-promos"),
    "monthly": ("analyze", "vacuum"),
}


def _say(task: str, dry_run: bool, message: str) -> None:
    suffix = " (dry run: nothing changed)" if dry_run else ""
    click.echo(f"{task}: {message}{suffix}")


def do_row_task(task: RowTask, *, days: int, dry_run: bool, batch_size: int, now: datetime) -> int:
    """Run a row task with a progress bar (sized by its count), committing after each batch."""
    pending = task.count(db.session(), now=now, days=days)
    changed = pending
    if pending and not dry_run:
        with click.progressbar(length=pending, label=f"{task.name}: {task.progress}") as bar:

            def after_batch(count: int) -> None:
                db.session.commit()
                bar.update(count)

            changed = task.run(
                db.session(), now=now, days=days, batch_size=batch_size, after_batch=after_batch
            )
    db.session.commit()
    _say(task.name, dry_run, task.describe(changed, dry_run=dry_run, now=now, days=days))
    return changed


def do_analyze(dry_run: bool) -> int:
    stats = analyze_tables(db.session(), dry_run=dry_run)
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
    help="cleanup-carts: delete cart lines added more than this many days ago.",
)


@click.group("maintain", cls=DatabaseGroup)
def maintain_group() -> None:
    """Run the deployment guide's maintenance tasks."""


def _row_command(task: RowTask) -> click.Command:
    def command(dry_run: bool, batch_size: int, days: int = DEFAULT_CART_DAYS) -> None:
        do_row_task(task, days=days, dry_run=dry_run, batch_size=batch_size, now=utcnow())

    command = batch_size_option(dry_run_option(command))
    if ":cutoff" in task.where:
        command = days_option(command)
    return click.command(task.name, help=task.help)(command)


for _task in ROW_TASKS.values():
    maintain_group.add_command(_row_command(_task))


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


def do_deliver_outbox(limit: int, name: str = "deliver-outbox", dry_run: bool = False) -> int:
    from flask import current_app

    from marketplace.billing.outbox import due_count
    from marketplace.billing.sync import sync_billing

    due = min(due_count(db.session()), limit)
    db.session.commit()
    if dry_run:
        _say(name, dry_run, f"would deliver the outbox entries due: {due}")
        return due
    with click.progressbar(length=due, label=f"{name}: sending") as bar:
        report = sync_billing(db.session(), current_app.config, limit=limit, progress=bar.update)
    for error in report.errors:
        click.echo(f"  failed: {error}")
    click.echo(
        f"{name}: delivered {report.delivered}, failed {report.failed} "
        f"(retried later with backoff), {report.still_pending} pending"
    )
    click.echo(
        f"{name}: events: delivered {report.events_delivered} to webhook endpoints, "
        f"failed {report.events_failed}, given up {report.given_up} (retries ran out after "
        "3 days)"
    )
    return report.delivered


limit_option = click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=OUTBOX_LIMIT,
    show_default=True,
    help="Outbox entries to send in this run.",
)


@maintain_group.command("deliver-outbox")
@limit_option
def deliver_outbox_command(limit: int) -> None:
    """Deliver due Lago and Stripe calls, e-mail and webhook events from the outbox, backing
    off failures (every minute or so)."""
    do_deliver_outbox(limit)


@maintain_group.command("sync-billing")
@limit_option
def sync_billing_command(limit: int) -> None:
    """The former name of deliver-outbox: the same delivery (e-mail included)."""
    do_deliver_outbox(limit, "sync-billing")


def do_refresh_analytics(dry_run: bool, incremental: bool = False) -> int:
    """Refresh the analytics rollups with a progress bar; print each one's time and the total."""
    if dry_run:
        kind = " incrementally" if incremental else ""
        _say("refresh-analytics", dry_run, f"would refresh {len(ANALYTICS_VIEWS)} rollups{kind}")
        return len(ANALYTICS_VIEWS)
    with click.progressbar(length=len(ANALYTICS_VIEWS), label="refresh-analytics") as bar:
        done = refresh_analytics(
            db.session(), incremental=incremental, after_view=lambda _name: bar.update(1)
        )
        db.session.commit()
    if not done.incremental and vacuum_rewritten(db.engine, ANALYTICS_TABLES):
        click.echo("  (rollups vacuumed: every row was rewritten)")
    for name, seconds in done.seconds.items():
        click.echo(f"  {name:<32} {seconds:>9} s")
    _say(
        "refresh-analytics",
        dry_run,
        f"refreshed {len(done.seconds)} rollups {'incrementally ' if done.incremental else ''}"
        f"in {done.total} s, as of {done.started_at:%Y-%m-%d %H:%M:%S} UTC",
    )
    return len(done.seconds)


@maintain_group.command("refresh-analytics")
@click.option(
    "--incremental",
    is_flag=True,
    help="Only the days touched since the last refresh (a full one when there was none).",
)
@dry_run_option
def refresh_analytics_command(incremental: bool, dry_run: bool) -> None:
    """Refresh the analytics page's rollups, readers keep the previous figures meanwhile
    (full: daily; --incremental: as often as the figures should follow, e.g. every 5 minutes)."""
    do_refresh_analytics(dry_run, incremental)


@maintain_group.command("run")
@click.argument("schedule", type=click.Choice(list(SCHEDULES)))
@days_option
@dry_run_option
@batch_size_option
def run_command(schedule: str, days: int, dry_run: bool, batch_size: int) -> None:
    """Run every task of a schedule: frequent (every minute), daily, weekly or monthly."""
    now = utcnow()
    tasks = {
        "deliver-outbox": lambda: do_deliver_outbox(OUTBOX_LIMIT, dry_run=dry_run),
        "refresh-analytics": lambda: do_refresh_analytics(dry_run),
        INCREMENTAL_REFRESH: lambda: do_refresh_analytics(dry_run, incremental=True),
        "analyze": lambda: do_analyze(dry_run),
        "vacuum": lambda: do_vacuum(dry_run),
    }

    def run(name: str) -> int:
        if name in ROW_TASKS:
            task = ROW_TASKS[name]
            return do_row_task(task, days=days, dry_run=dry_run, batch_size=batch_size, now=now)
        return tasks[name]()

    click.echo(f"Running {schedule} maintenance{' (dry run)' if dry_run else ''}:")
    counts = {name: run(name) for name in SCHEDULES[schedule]}
    summary = ", ".join(f"{name} {count}" for name, count in counts.items())
    done = "dry run done, would change" if dry_run else "done"
    click.echo(f"{schedule.capitalize()} maintenance {done}: {summary}.")
