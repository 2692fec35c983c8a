"""What admin forms offer to choose from: add-ons (for pickers) and subscription tiers."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import literal, or_, select
from sqlalchemy.orm import Session

from marketplace.models import AddOn, SubscriptionTier


def add_on_choices(
    session: Session, keep: Collection[uuid.UUID] = (), *, every: bool = False
) -> list[tuple[uuid.UUID, str]]:
    """Active add-ons (and those in `keep`, an object's current ones; `every`: all of them)
    as (id, label)."""
    rows = session.execute(
        select(AddOn.id, AddOn.name, AddOn.base_price, AddOn.is_active)
        .where(or_(AddOn.is_active, AddOn.id.in_(list(keep)), literal(every)))
        .order_by(AddOn.name, AddOn.id)
    )
    return [
        (add_on_id, f"{name} — ${price}" + ("" if active else " (inactive)"))
        for add_on_id, name, price, active in rows
    ]


def names_of(session: Session, add_on_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Add-on names by id, for lists that show members."""
    rows = session.execute(select(AddOn.id, AddOn.name).where(AddOn.id.in_(list(add_on_ids))))
    return {add_on_id: name for add_on_id, name in rows}


def tier_choices(session: Session) -> list[tuple[str, str]]:
    """Every subscription tier as (code, name), in the platform's order."""
    rows = session.execute(
        select(SubscriptionTier.code, SubscriptionTier.name).order_by(
            SubscriptionTier.sort_order, SubscriptionTier.code
        )
    )
    return [(code, name) for code, name in rows]
