"""`flask seed demo`: a large, realistic, reproducible data set for development and benchmarks.

A thin command over `marketplace.demo`: options, progress bars and the timing table.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from marketplace.demo.generator import DemoSizes
from marketplace.demo.load import DemoDataPresent, Progress, load_demo_data
from marketplace.extensions import db


def _click_progress(label: str, length: int) -> AbstractContextManager[Progress]:
    return click.progressbar(length=length, label=f"{label:<20}", show_pos=True, width=30)


@click.command("demo")
@click.option("--users", type=click.IntRange(min=1), default=100_000, show_default=True)
@click.option(
    "--add-ons", type=click.IntRange(min=1), default=10_000, show_default=True,
    help="Demo add-ons created in addition to the catalog.",
)  # fmt: skip
@click.option(
    "--subscriptions", type=click.IntRange(min=0), default=1_000_000, show_default=True,
    help="user_add_ons rows (one per user and add-on).",
)  # fmt: skip
@click.option("--purchases", type=click.IntRange(min=0), default=1_000_000, show_default=True)
@click.option(
    "--carts", type=click.IntRange(min=0), default=20_000, show_default=True,
    help="Users with a non-empty cart (1–5 lines each).",
)  # fmt: skip
@click.option("--bundles", type=click.IntRange(min=0), default=1_000, show_default=True)
@click.option("--random-seed", type=int, default=42, show_default=True)
@click.option(
    "--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None,
    help="Day the data is generated around (UTC); default today.",
)  # fmt: skip
@click.option(
    "--batch-size", type=click.IntRange(min=1), default=10_000, show_default=True,
    help="Rows per progress step.",
)  # fmt: skip
@click.option("--replace", is_flag=True, help="Delete previous demo data first.")
@with_appcontext
def demo(
    users: int,
    add_ons: int,
    subscriptions: int,
    purchases: int,
    carts: int,
    bundles: int,
    random_seed: int,
    as_of: datetime | None,
    batch_size: int,
    replace: bool,
) -> None:
    """Load a large, reproducible demo data set (COPY; same seed, same rows)."""
    if current_app.config.get("MARKETPLACE_ENV") == "production":
        raise click.ClickException("refusing to load demo data in production mode")
    sizes = DemoSizes(users, add_ons, subscriptions, purchases, carts, bundles)
    started = time.perf_counter()
    try:
        sizes.check()
        loads = load_demo_data(
            db.session(),
            sizes,
            seed=random_seed,
            as_of=as_of.replace(tzinfo=UTC) if as_of else None,
            replace=replace,
            batch_size=batch_size,
            progress=_click_progress,
        )
    except (DemoDataPresent, ValueError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    total = time.perf_counter() - started
    click.echo()
    click.echo(f"{'table':<30} {'rows':>12} {'seconds':>9}")
    click.echo(f"{'-' * 30} {'-' * 12} {'-' * 9}")
    for load in loads:
        click.echo(f"{load.table:<30} {load.rows:>12,} {load.seconds:>9.1f}")
    click.echo(f"{'-' * 30} {'-' * 12} {'-' * 9}")
    click.echo(f"{'total':<30} {sum(load.rows for load in loads):>12,} {total:>9.1f}")
