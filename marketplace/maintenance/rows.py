"""Row tasks: batched DELETEs and UPDATEs that keep the marketplace tables tidy.

Each changes at most `batch_size` rows per statement, taking only rows nobody else has locked
(`FOR UPDATE SKIP LOCKED`); the caller commits after every batch, so locks stay short next to
live traffic and rows skipped because a shopper holds them are picked up by the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Row, text
from sqlalchemy.orm import Session

from marketplace.events import emit as events
from marketplace.idempotency.service import RETENTION_HOURS

BATCH_SIZE = 5000
EVENT_BATCH = 500
DEFAULT_CART_DAYS = 30

AfterBatch = Callable[[int], None]


@dataclass(frozen=True)
class RowTask:
    """One task: `where` picks rows of `table`; `change` acts on the locked `batch` of their ids.

    `where` may use `:now` and `:cutoff` (now less the `days` a run is given).
    """

    name: str
    help: str
    table: str
    where: str
    change: str  # a DELETE/UPDATE of `table` AS t joined to the locked `batch` of ids
    progress: str  # the progress bar's label: what a batch does
    verbs: tuple[str, str]  # (done, dry run)
    report: str  # "{verb} {count} …", also given {cutoff} and {days}
    # Told the rows each batch changed (its `change` returns their `id`), in the batch's
    # transaction: the events the change causes. It locks each row's user (events.emit), so a
    # batch is capped at EVENT_BATCH rows to keep those locks few.
    emit: Callable[[Session, Sequence[Row[Any]]], object] | None = None
    key: str = "id"  # the columns `batch` holds: the table's primary key

    def count(self, session: Session, *, now: datetime, days: int = DEFAULT_CART_DAYS) -> int:
        """How many rows a run would change now."""
        return session.scalar(
            text(f"SELECT count(*) FROM {self.table} WHERE {self.where}"), _params(now, days)
        )

    def run(
        self,
        session: Session,
        *,
        now: datetime,
        days: int = DEFAULT_CART_DAYS,
        batch_size: int = BATCH_SIZE,
        after_batch: AfterBatch | None = None,
    ) -> int:
        """Change every matching row, a batch per statement; return how many changed."""
        statement = text(
            f"WITH batch AS (SELECT {self.key} FROM {self.table} WHERE {self.where} "
            f"LIMIT :batch_size FOR UPDATE SKIP LOCKED) {self.change}"
        )
        if self.emit is not None:
            batch_size = min(batch_size, EVENT_BATCH)
        params = {**_params(now, days), "batch_size": batch_size}
        total = 0
        while True:
            changed = self._change(session, statement, params)
            total += changed
            if after_batch is not None and changed:
                after_batch(changed)
            if changed < batch_size:
                return total

    def _change(self, session: Session, statement: Any, params: dict[str, Any]) -> int:
        """Run one batch's statement (and its events); how many rows it changed."""
        if self.emit is None:
            # An UPDATE/DELETE's result is a CursorResult, typed by `Session.execute` as Result.
            return cast(CursorResult[Any], session.execute(statement, params)).rowcount
        rows = session.execute(statement, params).all()
        if rows:
            self.emit(session, rows)
        return len(rows)

    def describe(self, count: int, *, dry_run: bool, now: datetime, days: int) -> str:
        """One line saying what the run changed (or would)."""
        verb = self.verbs[1] if dry_run else self.verbs[0]
        return self.report.format(verb=verb, count=count, days=days, **_params(now, days))


def _params(now: datetime, days: int) -> dict[str, datetime]:
    return {"now": now, "cutoff": now - timedelta(days=days)}


ROW_TASKS = {
    task.name: task
    for task in (
        RowTask(
            name="cleanup-carts",
            help="Delete abandoned cart lines (daily).",
            table="cart_items",
            where="added_at < :cutoff",
            change="DELETE FROM cart_items t USING batch WHERE t.id = batch.id",
            progress="deleting cart lines",
            verbs=("deleted", "would delete"),
            report="{verb} {count} cart lines added before {cutoff:%Y-%m-%d %H:%M} UTC "
            "(older than {days} days)",
        ),
        RowTask(
            name="expire-subscriptions",
            help="Mark active subscriptions past their expiry as expired (weekly).",
            table="user_add_ons",
            where="status = 'active' AND expires_at < :now",
            # Each expiry is written to the analytics history, dated when the subscription ran
            # out (marketplace/subscription_history.py; an expired one counts 0), and the ids
            # returned for the events it causes.
            change=", expired AS (UPDATE user_add_ons t SET status = 'expired' FROM batch "
            "WHERE t.id = batch.id RETURNING t.id, t.user_id, t.add_on_id, t.expires_at), "
            "history AS (INSERT INTO subscription_changes "
            "(user_add_on_id, user_id, add_on_id, occurred_at, status, mrr) "
            "SELECT id, user_id, add_on_id, expires_at, 'expired', 0 FROM expired) "
            "SELECT id FROM expired",
            progress="expiring subscriptions",
            verbs=("marked", "would mark"),
            report="{verb} {count} active subscriptions expired",
            emit=events.expired,
        ),
        RowTask(
            name="deactivate-promos",
            help="Deactivate promo codes past their expiry (weekly).",
            table="promotional_codes",
            where="is_active AND expires_at < :now",
            change="UPDATE promotional_codes t SET is_active = false FROM batch "
            "WHERE t.id = batch.id",
            progress="deactivating promo codes",
            verbs=("deactivated", "would deactivate"),
            report="{verb} {count} expired promo codes",
        ),
        RowTask(
            name="expire-idempotency-keys",
            help=f"Delete API Idempotency-Keys older than {RETENTION_HOURS} hours (daily).",
            table="api_idempotency_keys",
            where=f"created_at < :now - make_interval(hours => {RETENTION_HOURS})",
            key="caller, key",
            change="DELETE FROM api_idempotency_keys t USING batch "
            "WHERE t.caller = batch.caller AND t.key = batch.key",
            progress="deleting idempotency keys",
            verbs=("deleted", "would delete"),
            report=f"{{verb}} {{count}} idempotency keys older than {RETENTION_HOURS} hours",
        ),
    )
}
