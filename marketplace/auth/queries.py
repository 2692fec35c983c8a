"""Reads for the sign-in pages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.models import SubscriptionTier


def tier_choices(session: Session) -> list[tuple[str, str]]:
    """Return (code, name) of the active subscription tiers, in their display order."""
    rows = session.execute(
        select(SubscriptionTier.code, SubscriptionTier.name)
        .where(SubscriptionTier.is_active)
        .order_by(SubscriptionTier.sort_order, SubscriptionTier.code)
    ).all()
    return [(code, name) for code, name in rows]
