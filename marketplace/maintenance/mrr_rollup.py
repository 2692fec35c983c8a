"""The MRR movements rollup (`analytics_mrr_daily`) and the per-user state that lets an
incremental refresh classify a day's movements without replaying anyone's history.

A movement is a change of one user's MRR at one instant (marketplace/analytics/definitions.py;
this is its SQL twin): each subscription's change of monthly amount, summed per user and
instant, classified by the user's MRR before it and whether they ever had MRR.
`analytics_mrr_users` holds, per user, the MRR and the number of movements before the UTC day
the next refresh starts from (`Scope.base`), so that refresh starts from there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.maintenance.rollups import STEPS, Scope, utc_day

# Each change's step in its subscription's monthly amount: over the whole history at once, or
_WHOLE_HISTORY = """
    SELECT c.user_id, c.occurred_at,
           c.mrr - coalesce(lag(c.mrr) OVER (PARTITION BY c.user_add_on_id
                                             ORDER BY c.occurred_at, c.id), 0) AS delta
    FROM subscription_changes c
"""
# (incremental) the changes since the scope's start, their steps worked out once per refresh
_SINCE = f"SELECT user_id, occurred_at, delta FROM {STEPS}"
_REWRITE = """
    WITH per_subscription AS ({changes}
    ), per_user AS (
        SELECT user_id, occurred_at, sum(delta) AS delta
        FROM per_subscription GROUP BY user_id, occurred_at HAVING sum(delta) <> 0
    ), running AS (
        SELECT u.occurred_at, u.delta,
               coalesce(s.mrr, 0) + sum(u.delta) OVER w AS after,
               coalesce(s.moves, 0) + row_number() OVER w AS nth
        FROM per_user u LEFT JOIN analytics_mrr_users s ON s.user_id = u.user_id
        WINDOW w AS (PARTITION BY u.user_id ORDER BY u.occurred_at)
    ), daily AS (
        INSERT INTO analytics_mrr_daily (day, movement, users, amount)
        SELECT {day} AS day,
               CASE WHEN after = delta THEN CASE WHEN nth = 1 THEN 'new' ELSE 'reactivation' END
                    WHEN after = 0 THEN 'churned'
                    WHEN delta > 0 THEN 'expansion' ELSE 'contraction' END,
               count(*)::int, sum(delta)
        FROM running GROUP BY 1, 2
    )
    INSERT INTO analytics_mrr_users (user_id, mrr, moves)
    SELECT user_id, sum(delta), count(*)::int FROM per_user WHERE occurred_at < :base
    GROUP BY user_id
    ON CONFLICT (user_id) DO UPDATE SET mrr = analytics_mrr_users.mrr + excluded.mrr,
                                        moves = analytics_mrr_users.moves + excluded.moves
"""


def rewrite(session: Session, scope: Scope) -> None:
    """Rewrite the scope's days of MRR movements; move the per-user state to `scope.base`.

    The state is as of the scope's first day (the previous refresh left it there), so the
    changes since then are all this reads."""
    params: dict[str, Any] = {"base": scope.base}
    if scope.since is None:
        session.execute(text("DELETE FROM analytics_mrr_daily"))
        session.execute(text("DELETE FROM analytics_mrr_users"))
        changes = _WHOLE_HISTORY
    else:
        session.execute(
            text("DELETE FROM analytics_mrr_daily WHERE day >= :since_day"),
            {"since_day": scope.since.date()},
        )
        changes = _SINCE
    sql = _REWRITE.format(changes=changes, day=utc_day("occurred_at"))
    session.execute(text(sql), params)
