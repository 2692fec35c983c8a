"""Subscription history for analytics: a `subscription_changes` row per real change.

Every service that changes a subscription (fulfilment, renewal, cancellation, refund, expiry)
calls `record` in its own transaction, after the change: one INSERT … SELECT that reads the
rows' new state and writes only those whose status or monthly amount differs from their latest
history row. The monthly amount is `marketplace.analytics.monthly_amount` in SQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.analytics import recurring_amount
from marketplace.models import AddOnPurchase
from marketplace.pricing.money import ZERO
from marketplace.vocabulary import BillingType, DiscountKind

# The months one payment covers, by billing type (NULL: never recurs, counts 0).
_MONTHS = " ".join(f"WHEN '{b.value}' THEN {b.months}" for b in BillingType if b.months)
# What a `user_add_ons` row aliased `u` adds to MRR while active, and its monthly amount now.
RECURRING_MONTHLY = f"coalesce(round(u.recurring_amount / CASE u.billing_type {_MONTHS} END, 2), 0)"
MONTHLY_AMOUNT = f"CASE WHEN u.status = 'active' THEN {RECURRING_MONTHLY} ELSE 0 END"
# Subscriptions whose state differs from their latest history row (`u`: user_add_ons).
_CHANGED = f"""
    NOT EXISTS (
        SELECT 1 FROM (
            SELECT c.status, c.mrr FROM subscription_changes c
            WHERE c.user_add_on_id = u.id ORDER BY c.occurred_at DESC, c.id DESC LIMIT 1
        ) latest
        WHERE latest.status = u.status AND latest.mrr = {MONTHLY_AMOUNT}
    )
"""

_RECORD = text(
    f"""
    INSERT INTO subscription_changes
        (user_add_on_id, user_id, add_on_id, occurred_at, status, mrr)
    SELECT u.id, u.user_id, u.add_on_id, :now, u.status, {MONTHLY_AMOUNT}
    FROM user_add_ons u
    WHERE u.id = ANY(:ids) AND {_CHANGED}
    """
)
_RECORD_HOLDINGS = text(
    f"""
    INSERT INTO subscription_changes
        (user_add_on_id, user_id, add_on_id, occurred_at, status, mrr)
    SELECT u.id, u.user_id, u.add_on_id, :now, u.status, {MONTHLY_AMOUNT}
    FROM user_add_ons u
    WHERE (u.user_id, u.add_on_id) IN (SELECT * FROM unnest(CAST(:users AS text[]),
                                                           CAST(:add_ons AS uuid[])))
      AND {_CHANGED}
    """
)


def record(session: Session, ids: Collection[uuid.UUID], now: datetime) -> None:
    """Write the history rows of the subscriptions `ids` changed at `now` (no commit)."""
    if ids:
        session.flush()
        session.execute(_RECORD, {"ids": list(ids), "now": now})


def record_holdings(
    session: Session, holdings: Collection[tuple[str, uuid.UUID]], now: datetime
) -> None:
    """`record` for subscriptions known by (user id, add-on id)."""
    if holdings:
        session.flush()
        users, add_ons = zip(*holdings, strict=True)
        session.execute(
            _RECORD_HOLDINGS, {"users": list(users), "add_ons": list(add_ons), "now": now}
        )


def renews_at(purchase: AddOnPurchase) -> Decimal:
    """What the subscription a purchase fulfils renews at: its promo discount added back."""
    promo = sum((d.amount for d in purchase.discounts if d.kind == DiscountKind.PROMO), ZERO)
    return recurring_amount(purchase.amount, promo)
