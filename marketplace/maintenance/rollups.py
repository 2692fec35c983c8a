"""The day-keyed analytics rollups: each one's rows for a scope of days, as SQL over the
source tables (`marketplace.maintenance.analytics` refreshes them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.vocabulary import DiscountKind

PAID = "p.status IN ('completed', 'refunded')"


@dataclass(frozen=True)
class Scope:
    """What a refresh rewrites: everything (`since` None), or the days from `since` (a UTC
    midnight) on and, for promo codes and bundles, `extra_days` before it; of what holds now
    (MRR per add-on, bundle holders), what changed from `changed_since` on. `base` (a UTC
    midnight) is where the next refresh will start from."""

    base: datetime
    since: datetime | None = None
    extra_days: tuple[date, ...] = ()
    changed_since: datetime | None = None

    @property
    def full(self) -> bool:
        return self.since is None

    def rows(self, column: str, *, extra: bool = False) -> tuple[str, dict[str, Any]]:
        """A condition on a timestamp column selecting the source rows of the scope's days
        (index ranges: one from `since` on, one per extra day)."""
        if self.since is None:
            return "true", {}
        ranges, params = [f"{column} >= :since"], {"since": self.since}
        for n, day in enumerate(self.extra_days if extra else ()):
            ranges.append(f"({column} >= :day{n} AND {column} < :next{n})")
            params |= {f"day{n}": midnight(day), f"next{n}": midnight(day + timedelta(days=1))}
        return f"({' OR '.join(ranges)})", params

    def changed(self, column: str) -> tuple[str, dict[str, Any]]:
        """A condition on a timestamp column selecting the changes to what holds now."""
        if self.changed_since is None:
            return "true", {}
        return f"{column} >= :changed_since", {"changed_since": self.changed_since}

    def days(self, *, extra: bool = False) -> tuple[str, dict[str, Any]]:
        """A condition on a rollup's `day` selecting the scope's days."""
        if self.since is None:
            return "true", {}
        if not (extra and self.extra_days):
            return "day >= :since_day", {"since_day": self.since.date()}
        return "(day >= :since_day OR day = ANY(:extra_days))", {
            "since_day": self.since.date(),
            "extra_days": list(self.extra_days),
        }


# Each subscription change from :since on, with its step from the subscription's previous
# change (none: nothing) in MRR and in whether it is active, each looking up its predecessor in
# the index once for the refresh: MRR movements and MRR per add-on both read these steps.
STEPS = "analytics_subscription_steps"
_STEPS = f"""
    CREATE TEMPORARY TABLE {STEPS} ON COMMIT DROP AS
    SELECT c.user_id, c.add_on_id, c.occurred_at, c.mrr - coalesce(p.mrr, 0) AS delta,
           (c.status = 'active')::int - coalesce((p.status = 'active')::int, 0) AS active
    FROM subscription_changes c
    LEFT JOIN LATERAL (
        SELECT p.status, p.mrr FROM subscription_changes p
        WHERE p.user_add_on_id = c.user_add_on_id AND (p.occurred_at, p.id) < (c.occurred_at, c.id)
        ORDER BY p.occurred_at DESC, p.id DESC LIMIT 1
    ) p ON true
    WHERE c.occurred_at >= :since
"""


def subscription_steps(session: Session, scope: Scope) -> None:
    """Write the steps of the subscription changes the scope reads (from `since`, or from
    `base` on a full refresh) to the temporary table `STEPS`, dropped at commit."""
    session.execute(text(_STEPS), {"since": scope.since or scope.base})


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def utc_day(column: str) -> str:
    return f"({column} AT TIME ZONE 'UTC')::date"


def cash_lines(scope: Scope) -> tuple[str, dict[str, Any]]:
    """Cash per line: each charge on the UTC day it was paid (a renewal the provider collected
    is a line of its own renewal order), each refund on its own day (an admin's and the
    provider's own both itemise theirs in `refund_lines`, 013_refunds); what a line had refunded
    beyond those (fulfilment's automatic refunds of a payment it could not honour, and refunds
    recorded before the provider's were itemised) on the day of its latest refund."""
    paid, params = scope.rows("p.completed_at")
    itemised, more = scope.rows("r.created_at")
    rest, rest_params = scope.rows("p.refunded_at")
    sql = f"""
        SELECT {utc_day("p.completed_at")} AS day, p.add_on_id, p.billing_type AS sold_as,
               p.amount AS charged, 0 AS refunded, 1 AS charges
        FROM add_on_purchases p
        WHERE {PAID} AND p.completed_at IS NOT NULL AND {paid}
        UNION ALL
        SELECT {utc_day("r.created_at")}, p.add_on_id, p.billing_type, 0, l.amount, 0
        FROM refunds r JOIN refund_lines l ON l.refund_id = r.id
        JOIN add_on_purchases p ON p.id = l.purchase_id
        WHERE {itemised}
        UNION ALL
        SELECT {utc_day("p.refunded_at")}, p.add_on_id, p.billing_type,
               0, p.refund_amount - coalesce(i.amount, 0), 0
        FROM add_on_purchases p
        LEFT JOIN LATERAL (SELECT sum(l.amount) AS amount FROM refund_lines l
                           WHERE l.purchase_id = p.id) i ON true
        WHERE p.refund_amount > coalesce(i.amount, 0) AND p.refunded_at IS NOT NULL AND {rest}
    """
    return sql, params | more | rest_params


def _revenue_daily(scope: Scope) -> tuple[str, dict[str, Any]]:
    """Cash per UTC day, category and billing type (the revenue tiles, periods and shares)."""
    cash, params = cash_lines(scope)
    sql = f"""
        SELECT c.day, a.category, coalesce(c.sold_as, a.billing_type) AS billing_type,
               sum(c.charged) AS charged, sum(c.refunded) AS refunded,
               sum(c.charges)::int AS charges
        FROM ({cash}) c JOIN add_ons a ON a.id = c.add_on_id
        GROUP BY 1, 2, 3
    """
    return sql, params


def _promo_daily(scope: Scope) -> tuple[str, dict[str, Any]]:
    """Promo codes per UTC day their checkouts started: one checkout is one order."""
    lines, params = scope.rows("p.purchased_at", extra=True)
    sql = f"""
        WITH checkouts AS (
            SELECT {utc_day("p.purchased_at")} AS day, p.promo_code_id, p.user_id,
                   min(p.completed_at) AS paid_at, bool_or({PAID}) AS paid,
                   coalesce(sum(d.amount) FILTER (WHERE {PAID}), 0) AS discount,
                   coalesce(sum(p.amount - coalesce(p.refund_amount, 0)) FILTER (WHERE {PAID}),
                            0) AS revenue
            FROM add_on_purchases p
            LEFT JOIN purchase_discounts d ON d.purchase_id = p.id AND d.kind = :promo
            WHERE p.promo_code_id IS NOT NULL AND {lines}
            GROUP BY 1, p.promo_code_id, p.user_id,
                     coalesce(p.order_id::text, p.checkout_session_id, p.id::text)
        ), firsts AS (
            SELECT p.user_id, min(p.completed_at) AS first_paid FROM add_on_purchases p
            WHERE {PAID} AND p.user_id IN (SELECT user_id FROM checkouts) GROUP BY p.user_id
        )
        SELECT c.day, c.promo_code_id,
               count(*)::int AS checkouts, (count(*) FILTER (WHERE c.paid))::int AS paid,
               sum(c.discount) AS discount, sum(c.revenue) AS revenue,
               (count(*) FILTER (WHERE c.paid AND c.paid_at = f.first_paid))::int
                   AS first_purchases
        FROM checkouts c LEFT JOIN firsts f ON f.user_id = c.user_id
        GROUP BY 1, 2
    """
    return sql, params | {"promo": DiscountKind.PROMO.value}


def _bundle_daily(scope: Scope) -> tuple[str, dict[str, Any]]:
    """Bundles per UTC day paid: the order lines a bundle discounted (the receipt's label names
    the bundle: orders/service.py `bundle_label`)."""
    lines, params = scope.rows("p.completed_at", extra=True)
    sql = f"""
        SELECT {utc_day("p.completed_at")} AS day, b.id AS bundle_id,
               count(DISTINCT coalesce(p.order_id::text, p.checkout_session_id))::int AS orders,
               sum(d.amount) AS savings, sum(p.amount - coalesce(p.refund_amount, 0)) AS revenue
        FROM purchase_discounts d
        JOIN add_on_purchases p ON p.id = d.purchase_id
        JOIN add_on_bundles b ON d.label = CASE WHEN b.name ILIKE '%bundle%' THEN b.name
                                                ELSE b.name || ' bundle' END
        WHERE d.kind = :bundle AND {PAID} AND p.completed_at IS NOT NULL AND {lines}
        GROUP BY 1, 2
    """
    return sql, params | {"bundle": DiscountKind.BUNDLE.value}


def _funnel_daily(scope: Scope) -> tuple[str, dict[str, Any]]:
    """The funnel: distinct visitors reaching each step per UTC day."""
    events, params = scope.rows("occurred_at")
    sql = f"""
        SELECT {utc_day("occurred_at")} AS day, step, count(DISTINCT visitor)::int AS visitors
        FROM funnel_events WHERE {events} GROUP BY 1, 2
    """
    return sql, params


@dataclass(frozen=True)
class DailyRollup:
    """A rollup keyed by UTC day: its table, columns and the query of a scope's rows."""

    table: str
    columns: str
    query: Callable[[Scope], tuple[str, dict[str, Any]]]
    extra_days: bool = False  # rewrites the scope's older days too (promo codes, bundles)

    def rewrite(self, session: Session, scope: Scope) -> None:
        where, params = scope.days(extra=self.extra_days)
        session.execute(text(f"DELETE FROM {self.table} WHERE {where}"), params)
        sql, params = self.query(scope)
        session.execute(text(f"INSERT INTO {self.table} ({self.columns}) {sql}"), params)


DAILY = (
    DailyRollup(
        "analytics_revenue_daily",
        "day, category, billing_type, charged, refunded, charges",
        _revenue_daily,
    ),
    DailyRollup(
        "analytics_promo_daily",
        "day, promo_code_id, checkouts, paid, discount, revenue, first_purchases",
        _promo_daily,
        extra_days=True,
    ),
    DailyRollup(
        "analytics_bundle_daily",
        "day, bundle_id, orders, savings, revenue",
        _bundle_daily,
        extra_days=True,
    ),
    DailyRollup("analytics_funnel_daily", "day, step, visitors", _funnel_daily),
)
