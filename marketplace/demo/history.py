"""The demo data set's histories, written set-based after its subscriptions and purchases:
each subscription's analytics history (marketplace/subscription_history.py) and the funnel's
events, so the analytics page shows sign-ups, upgrades, churn and conversion at scale.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, text
from sqlalchemy.orm import Session

from marketplace.demo.generator import DEMO_USER_PREFIX
from marketplace.subscription_history import RECURRING_MONTHLY

# One in ten recurring subscriptions started on a plan at half the price and moved up to its
# price halfway to today (an expansion); chosen by the id's last byte, so a seed repeats it.
_UPGRADED = "(get_byte(uuid_send(u.id), 15) % 10 = 0 AND u.billing_type IS NOT NULL)"
_DEMO = f"u.user_id LIKE '{DEMO_USER_PREFIX}%'"
# When a subscription stopped (cancelled, suspended a week after it was bought — refunded —, or
# expired), else today; the upgrade falls halfway there.
_END = (
    "least(coalesce(u.cancelled_at, CASE WHEN u.status = 'suspended' "
    "THEN u.purchased_at + interval '7 days' END, u.expires_at, :as_of), :as_of)"
)

_CHANGES = text(
    f"""
    INSERT INTO subscription_changes
        (user_add_on_id, user_id, add_on_id, occurred_at, status, mrr)
    SELECT u.id, u.user_id, u.add_on_id, u.purchased_at, 'active',
           CASE WHEN {_UPGRADED} THEN round({RECURRING_MONTHLY} / 2, 2)
                ELSE {RECURRING_MONTHLY} END
    FROM user_add_ons u WHERE {_DEMO} AND u.status <> 'pending'
    UNION ALL
    SELECT u.id, u.user_id, u.add_on_id,
           u.purchased_at + ({_END} - u.purchased_at) / 2,
           'active', {RECURRING_MONTHLY}
    FROM user_add_ons u WHERE {_DEMO} AND {_UPGRADED} AND u.status <> 'pending'
    UNION ALL
    SELECT u.id, u.user_id, u.add_on_id, {_END}, u.status, 0
    FROM user_add_ons u WHERE {_DEMO} AND u.status NOT IN ('active', 'pending')
    """
)

# Every demo checkout of the last 400 days (the longest preset is 12 months): the cart step a
# few minutes before it, the checkout, and the payment when it was paid; and the carts still
# open (visitors who never checked out).
_FUNNEL = text(
    f"""
    INSERT INTO funnel_events (occurred_at, visitor, step)
    SELECT p.purchased_at - interval '7 minutes', p.user_id, 'cart'
    FROM add_on_purchases p
    WHERE p.user_id LIKE '{DEMO_USER_PREFIX}%' AND p.purchased_at > :since
    UNION ALL
    SELECT p.purchased_at, p.user_id, 'checkout'
    FROM add_on_purchases p
    WHERE p.user_id LIKE '{DEMO_USER_PREFIX}%' AND p.purchased_at > :since
    UNION ALL
    SELECT p.completed_at, p.user_id, 'paid'
    FROM add_on_purchases p
    WHERE p.user_id LIKE '{DEMO_USER_PREFIX}%' AND p.purchased_at > :since
      AND p.completed_at IS NOT NULL
    UNION ALL
    SELECT c.added_at, c.user_id, 'cart'
    FROM cart_items c WHERE c.user_id LIKE '{DEMO_USER_PREFIX}%'
    """
)


def insert_changes(session: Session, as_of: datetime) -> int:
    """Each demo subscription's history: its start, an upgrade for some, its end if over."""
    return _rowcount(session.execute(_CHANGES, {"as_of": as_of}))


def insert_funnel(session: Session, as_of: datetime) -> int:
    """The demo visitors' funnel events of the last 400 days."""
    return _rowcount(session.execute(_FUNNEL, {"since": as_of - timedelta(days=400)}))


def delete_funnel(session: Session) -> None:
    """The demo visitors' funnel events (their subscription history goes with the rows)."""
    session.execute(
        text("DELETE FROM funnel_events WHERE visitor LIKE :users"),
        {"users": f"{DEMO_USER_PREFIX}%"},
    )


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount
