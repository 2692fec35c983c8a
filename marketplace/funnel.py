"""The purchase funnel's events: added to cart → checkout started → paid.

`reached` adds one row to the caller's transaction (a single INSERT at its commit) and reads
nothing, so recording costs a page no extra round trip. The analytics rollup counts distinct
visitors per step and day (migration 017_analytics_rollups, `analytics_funnel_daily`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from marketplace.models import FunnelEvent
from marketplace.vocabulary import FunnelStep


def reached(session: Session, visitor: str, step: FunnelStep) -> None:
    """Record that `visitor` (a user id or an anonymous cart owner) reached `step` (no commit)."""
    session.add(FunnelEvent(visitor=visitor, step=step.value))
