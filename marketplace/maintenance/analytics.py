"""Refresh the analytics rollups (the tables of migration 020_analytics_incremental).

A **full** refresh rewrites every rollup from the source tables. An **incremental** one
rewrites only what changed since the previous refresh: the UTC days from that refresh's start
(less `GRACE`, for a transaction that read the clock before it and committed after) on; the
older days of promo checkouts and bundle orders refunded or paid since; the per-add-on MRR of
the add-ons whose subscriptions changed since that day, from a saved state plus the changes;
and, from the previous refresh's start (less `GRACE`) on, whether the users whose
subscriptions changed hold those add-ons' bundles, and who holds a bundle edited. It
relies on every write being dated by the clock (charges, refunds, subscription changes, funnel
events are); catalog edits (an add-on's category, a bundle's name) and rows written with an
earlier date (the demo data set) show from the next full refresh, which the daily schedule
runs. Either kind runs in one transaction: readers keep the previous rows until it commits,
and its start is the figures' "as of".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from time import perf_counter
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from marketplace.maintenance import mrr_rollup
from marketplace.maintenance.rollups import (
    DAILY,
    STEPS,
    Scope,
    cash_lines,
    midnight,
    subscription_steps,
    utc_day,
)
from marketplace.models import AnalyticsRefresh
from marketplace.models.base import utcnow
from marketplace.subscription_history import RECURRING_MONTHLY
from marketplace.vocabulary import DiscountKind

MILLI = Decimal("0.001")
WORK_MEM = "256MB"
GRACE = timedelta(hours=1)


# Add-ons with cash and no slot yet get the next ones, in the order they first sold.
_NEW_SLOTS = text(
    """
    INSERT INTO analytics_add_on_slots (slot, add_on_id)
    SELECT (SELECT coalesce(max(slot), 0) FROM analytics_add_on_slots)
           + row_number() OVER (ORDER BY min(c.day), c.add_on_id), c.add_on_id
    FROM analytics_cash c
    WHERE NOT EXISTS (SELECT 1 FROM analytics_add_on_slots s WHERE s.add_on_id = c.add_on_id)
    GROUP BY c.add_on_id
    """
)


def _add_on_revenue_running(session: Session, scope: Scope) -> None:
    """Every add-on's cents charged and refunded up to each UTC day with cash, one row per day
    (an array indexed by the add-on's slot), so a range's revenue per add-on is two rows: its
    end's and its start's. Rewrites the rows from the scope's first day on."""
    cash, params = cash_lines(scope)
    session.execute(
        text(
            "CREATE TEMPORARY TABLE analytics_cash ON COMMIT DROP AS SELECT day, add_on_id, "
            f"sum(charged) AS charged, sum(refunded) AS refunded FROM ({cash}) c GROUP BY 1, 2"
        ),
        params,
    )
    session.execute(_NEW_SLOTS)
    where, day_params = scope.days()
    session.execute(text(f"DELETE FROM analytics_add_on_revenue_running WHERE {where}"), day_params)
    before = session.execute(
        text(
            "SELECT charged, refunded FROM analytics_add_on_revenue_running "
            "ORDER BY day DESC LIMIT 1"
        )
    ).first()
    charged: list[int] = list(before.charged) if before else []
    refunded: list[int] = list(before.refunded) if before else []
    deltas = session.execute(
        text(
            "SELECT c.day, s.slot, (c.charged * 100)::bigint, (c.refunded * 100)::bigint "
            "FROM analytics_cash c JOIN analytics_add_on_slots s ON s.add_on_id = c.add_on_id "
            "ORDER BY 1"
        )
    ).all()
    session.execute(text("DROP TABLE analytics_cash"))
    rows = list(_running_rows(deltas, charged, refunded))
    if rows:
        session.execute(
            text(
                "INSERT INTO analytics_add_on_revenue_running (day, charged, refunded) "
                "VALUES (:day, CAST(:charged AS bigint[]), CAST(:refunded AS bigint[]))"
            ),
            rows,
        )


def _running_rows(
    deltas: Iterable[Sequence[Any]], charged: list[int], refunded: list[int]
) -> Iterable[dict[str, Any]]:
    """Apply each day's (day, slot, cents charged, cents refunded) in day order to the running
    totals; a row of both arrays (as array literals) after each day."""
    day = None
    for delta_day, slot, cents_charged, cents_refunded in deltas:
        if day is not None and delta_day != day:
            yield _running_row(day, charged, refunded)
        day = delta_day
        if slot > len(charged):
            grow = slot - len(charged)
            charged.extend([0] * grow)
            refunded.extend([0] * grow)
        charged[slot - 1] += cents_charged
        refunded[slot - 1] += cents_refunded
    if day is not None:
        yield _running_row(day, charged, refunded)


def _running_row(day: date, charged: list[int], refunded: list[int]) -> dict[str, Any]:
    return {"day": day, "charged": _array(charged), "refunded": _array(refunded)}


def _array(values: list[int]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


def _add_on_mrr(session: Session, scope: Scope) -> None:
    """Subscribers and MRR per add-on, now; and, in `analytics_add_on_mrr_base`, before
    `scope.base`, for the next refresh to start from.

    A full refresh sums the active subscriptions, then takes the changes since `scope.base`
    off for the base. An incremental one adds the changes from `scope.since` (where the
    previous refresh left the base) to `scope.base` onto the base, and the base plus the later
    changes gives now for the add-ons that changed: a day's changes, not every changed add-on's
    subscriptions. Both rely on each subscription's latest history row being its state, as
    `subscription_history.record` keeps it."""
    session.execute(
        text(
            "CREATE TEMPORARY TABLE analytics_add_on_steps ON COMMIT DROP AS "
            "SELECT add_on_id, occurred_at >= :base AS later, sum(active)::int AS subscribers, "
            f"sum(delta) AS mrr FROM {STEPS} GROUP BY 1, 2"
        ),
        {"base": scope.base},
    )
    (_add_on_mrr_full if scope.full else _add_on_mrr_incremental)(session)
    session.execute(text("DROP TABLE analytics_add_on_steps"))


def _add_on_mrr_full(session: Session) -> None:
    """Sum the active subscriptions per add-on; the base is that less the steps since."""
    session.execute(text("DELETE FROM analytics_add_on_mrr"))
    session.execute(
        text(
            f"""
            INSERT INTO analytics_add_on_mrr (add_on_id, subscribers, mrr)
            SELECT add_on_id, count(*)::int, sum({RECURRING_MONTHLY})
            FROM user_add_ons u WHERE status = 'active' GROUP BY add_on_id
            """
        )
    )
    session.execute(text("DELETE FROM analytics_add_on_mrr_base"))
    session.execute(
        text(
            """
            INSERT INTO analytics_add_on_mrr_base (add_on_id, subscribers, mrr)
            SELECT add_on_id, sum(subscribers)::int, sum(mrr) FROM (
                SELECT add_on_id, subscribers, mrr FROM analytics_add_on_mrr
                UNION ALL
                SELECT add_on_id, -subscribers, -mrr FROM analytics_add_on_steps
            ) s GROUP BY add_on_id HAVING sum(subscribers) <> 0 OR sum(mrr) <> 0
            """
        )
    )


def _add_on_mrr_incremental(session: Session) -> None:
    """The steps before the base's new day onto the base; now is the base plus the later
    steps, for the add-ons with steps."""
    session.execute(
        text(
            """
            INSERT INTO analytics_add_on_mrr_base (add_on_id, subscribers, mrr)
            SELECT add_on_id, subscribers, mrr FROM analytics_add_on_steps WHERE NOT later
            ON CONFLICT (add_on_id) DO UPDATE
            SET subscribers = analytics_add_on_mrr_base.subscribers + excluded.subscribers,
                mrr = analytics_add_on_mrr_base.mrr + excluded.mrr
            """
        )
    )
    session.execute(text("DELETE FROM analytics_add_on_mrr_base WHERE subscribers = 0 AND mrr = 0"))
    changed = "add_on_id IN (SELECT add_on_id FROM analytics_add_on_steps)"
    session.execute(text(f"DELETE FROM analytics_add_on_mrr WHERE {changed}"))
    session.execute(
        text(
            f"""
            INSERT INTO analytics_add_on_mrr (add_on_id, subscribers, mrr)
            SELECT add_on_id, sum(subscribers), sum(mrr) FROM (
                SELECT add_on_id, subscribers, mrr FROM analytics_add_on_mrr_base
                WHERE {changed}
                UNION ALL
                SELECT add_on_id, subscribers, mrr FROM analytics_add_on_steps WHERE later
            ) s GROUP BY add_on_id HAVING sum(subscribers) > 0
            """
        )
    )


# A bundle whose holders were found as it is now (its version is the one recorded then).
_KNOWN = """EXISTS (SELECT 1 FROM analytics_bundle_versions v
                    WHERE v.bundle_id = b.id AND v.updated_at = b.updated_at)"""


def _bundle_holders(session: Session, scope: Scope) -> None:
    """Who holds each bundle whole, now: every pair (bundle, user) on a full refresh; else
    every pair of the bundles added or edited since (their recorded versions tell), and the
    pairs of the users whose subscriptions changed with the bundles of those add-ons."""
    if scope.full:
        session.execute(text("DELETE FROM analytics_bundle_holders"))
    else:
        session.execute(
            text(
                "DELETE FROM analytics_bundle_holders h WHERE NOT EXISTS "
                f"(SELECT 1 FROM add_on_bundles b WHERE b.id = h.bundle_id AND {_KNOWN})"
            )
        )
        _recheck_holders(session, scope)
    session.execute(
        text(
            "INSERT INTO analytics_bundle_holders (bundle_id, user_id) "
            "SELECT b.id, h.user_id FROM add_on_bundles b JOIN LATERAL ("
            "SELECT u.user_id FROM user_add_ons u WHERE u.status = 'active' "
            "AND u.add_on_id = ANY(b.add_on_ids) "
            "GROUP BY u.user_id HAVING count(*) = cardinality(b.add_on_ids)) h ON true "
            f"WHERE {'true' if scope.full else f'NOT {_KNOWN}'} ON CONFLICT DO NOTHING"
        )
    )
    session.execute(text("DELETE FROM analytics_bundle_versions"))
    session.execute(
        text(
            "INSERT INTO analytics_bundle_versions (bundle_id, updated_at) "
            "SELECT id, updated_at FROM add_on_bundles"
        )
    )


def _recheck_holders(session: Session, scope: Scope) -> None:
    """Whether each user whose subscriptions changed holds the bundles of those add-ons."""
    changed, params = scope.changed("c.occurred_at")
    session.execute(
        text(
            f"""
            CREATE TEMPORARY TABLE analytics_recheck ON COMMIT DROP AS
            SELECT DISTINCT b.id AS bundle_id, c.user_id
            FROM subscription_changes c
            JOIN (SELECT id, unnest(add_on_ids) AS add_on_id FROM add_on_bundles) b
              ON b.add_on_id = c.add_on_id
            WHERE {changed}
            """
        ),
        params,
    )
    session.execute(
        text(
            "DELETE FROM analytics_bundle_holders h WHERE (h.bundle_id, h.user_id) IN "
            "(SELECT bundle_id, user_id FROM analytics_recheck)"
        )
    )
    session.execute(
        text(
            "INSERT INTO analytics_bundle_holders (bundle_id, user_id) "
            "SELECT r.bundle_id, r.user_id FROM analytics_recheck r "
            "JOIN add_on_bundles b ON b.id = r.bundle_id "
            "WHERE (SELECT count(*) FROM user_add_ons u WHERE u.user_id = r.user_id "
            "AND u.status = 'active' AND u.add_on_id = ANY(b.add_on_ids)) "
            "= cardinality(b.add_on_ids)"
        )
    )
    session.execute(text("DROP TABLE analytics_recheck"))


Step = Callable[[Session, Scope], None]
ROLLUPS: dict[str, Step] = {
    "analytics_mrr_daily": mrr_rollup.rewrite,
    **{rollup.table: rollup.rewrite for rollup in DAILY},
    "analytics_add_on_revenue_running": _add_on_revenue_running,
    "analytics_add_on_mrr": _add_on_mrr,
    "analytics_bundle_holders": _bundle_holders,
}
VIEWS = tuple(ROLLUPS)  # the rollups, in refresh order
TABLES = (
    *VIEWS,
    "analytics_mrr_users",
    "analytics_add_on_mrr_base",
    "analytics_add_on_slots",
    "analytics_bundle_versions",
)


@dataclass(frozen=True)
class Refreshed:
    """A finished refresh: when it started, whether incremental, each rollup's seconds."""

    started_at: datetime
    seconds: dict[str, Decimal]
    incremental: bool = False

    @property
    def total(self) -> Decimal:
        return sum(self.seconds.values(), Decimal(0))


def refresh(
    session: Session,
    *,
    incremental: bool = False,
    after_view: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> Refreshed:
    """Refresh every rollup (only what changed since the last refresh when `incremental` and
    there was one) and log the refresh (the caller commits)."""
    session.flush()  # what this transaction wrote counts too
    # One refresh at a time (the minutely incremental one meets the daily full one): a second
    # waits here, then reads the first's "as of" and starts where it left off. Two at once
    # would each delete the days' rows the other is writing and then insert them twice.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('analytics:refresh', 0))"))
    started = now or utcnow()
    # A full refresh sorts a few million rows; in memory, not in temporary files (this
    # transaction only).
    session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    previous = as_of(session) if incremental else None
    base = _since(started)
    scope = _scope(session, previous, base) if previous is not None else Scope(base)
    if not scope.full:
        # A day's rows: compiling the plans (JIT) costs more than it saves.
        session.execute(text("SET LOCAL jit = off"))
    began = perf_counter()
    subscription_steps(session, scope)
    steps_seconds = perf_counter() - began
    seconds = {}
    for name, step in ROLLUPS.items():
        began = perf_counter()
        step(session, scope)
        if scope.full:
            # The page's plans need fresh statistics at once (autovacuum comes later).
            session.execute(text(f"ANALYZE {name}"))
        seconds[name] = Decimal(perf_counter() - began + steps_seconds).quantize(MILLI)
        steps_seconds = 0.0  # counted with the first rollup
        if after_view is not None:
            after_view(name)
    session.execute(text(f"DROP TABLE {STEPS}"))
    done = Refreshed(started, seconds, incremental=not scope.full)
    session.add(
        AnalyticsRefresh(started_at=started, seconds=done.total, incremental=done.incremental)
    )
    return done


def _since(started: datetime) -> datetime:
    """Where the refresh after one started at `started` starts from."""
    return midnight((started - GRACE).astimezone(UTC).date())


def _scope(session: Session, previous: datetime, base: datetime) -> Scope:
    """The days an incremental refresh after one started at `previous` rewrites."""
    since = _since(previous)
    touched = session.scalars(
        text(
            f"""
            SELECT DISTINCT {utc_day("p.purchased_at")} FROM add_on_purchases p
            WHERE p.promo_code_id IS NOT NULL
              AND (p.completed_at >= :since OR p.refunded_at >= :since)
            UNION
            SELECT DISTINCT {utc_day("p.completed_at")} FROM add_on_purchases p
            WHERE p.refunded_at >= :since AND p.completed_at IS NOT NULL AND EXISTS (
                SELECT 1 FROM purchase_discounts d WHERE d.purchase_id = p.id AND d.kind = :bundle)
            """
        ),
        {"since": since, "bundle": DiscountKind.BUNDLE.value},
    )
    extra_days = tuple(sorted(day for day in touched if day < since.date()))
    return Scope(base, since, extra_days, changed_since=previous - GRACE)


def as_of(session: Session) -> datetime | None:
    """When the rollups were last refreshed (None: never)."""
    return session.scalar(
        select(AnalyticsRefresh.started_at).order_by(AnalyticsRefresh.started_at.desc()).limit(1)
    )
