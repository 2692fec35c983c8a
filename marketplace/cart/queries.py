"""Reads for the cart and for pricing it; each function is one query.

Bundles come from `marketplace.bundles.queries` (`bundles_containing`, `live_at`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, DateTime, String, Uuid, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from marketplace.bundles.queries import live_at
from marketplace.models import AddOn, AddOnBundle, CartItem, PricingRule, UserAddOn
from marketplace.vocabulary import SubscriptionStatus


def cart_lines(session: Session, owner_id: str) -> list[CartItem]:
    """Return the owner's cart lines with their add-ons, oldest first (idx_cart_items_user)."""
    return list(
        session.scalars(
            select(CartItem)
            .join(CartItem.add_on)
            .options(contains_eager(CartItem.add_on))
            .where(CartItem.user_id == owner_id)
            .order_by(CartItem.added_at, CartItem.id)
        )
    )


def cart_count(session: Session, owner_id: str) -> int:
    """Return how many items the owner's cart holds: the sum of the line quantities."""
    return session.scalars(
        select(func.coalesce(func.sum(CartItem.quantity), 0)).where(CartItem.user_id == owner_id)
    ).one()


def holds_subscription(
    user_id: str | ColumnElement[str], now: datetime | ColumnElement[datetime]
) -> ColumnElement[bool]:
    """Select the `user_add_ons` rows that are `user_id`'s active subscriptions at `now`.

    Served by the partial index idx_user_add_ons_user_id.
    """
    return and_(
        UserAddOn.user_id == user_id,
        UserAddOn.status == SubscriptionStatus.ACTIVE,
        or_(UserAddOn.expires_at.is_(None), UserAddOn.expires_at > now),
    )


def owned_add_on_ids(
    session: Session, user_id: str, now: datetime, among: Collection[uuid.UUID] | None = None
) -> frozenset[uuid.UUID]:
    """Return the add-ons `user_id` holds an active, unexpired subscription to.

    `among` narrows the answer to those add-ons.
    """
    query = select(UserAddOn.add_on_id).where(holds_subscription(user_id, now))
    if among is not None:
        query = query.where(UserAddOn.add_on_id.in_(list(among)))
    return frozenset(session.scalars(query))


@dataclass(frozen=True)
class AddTarget:
    """What adding one add-on to a cart needs to know, read in one query."""

    name: str
    base_price: Decimal
    owned: bool  # the cart's owner holds an active subscription to it
    in_cart: int  # the quantity already in the cart (0: no line yet)


# Built once: the cart's hottest read skips building the statement and its cache key per call.
_OWNER, _NOW = bindparam("owner_id", type_=String), bindparam("now", type_=DateTime(timezone=True))
ADD_TARGET = select(
    AddOn.name,
    AddOn.base_price,
    select(UserAddOn.id)
    .where(holds_subscription(_OWNER, _NOW), UserAddOn.add_on_id == AddOn.id)
    .exists(),
    func.coalesce(
        select(CartItem.quantity)
        .where(CartItem.user_id == _OWNER, CartItem.add_on_id == AddOn.id)
        .scalar_subquery(),
        0,
    ),
).where(AddOn.id == bindparam("add_on_id", type_=Uuid), AddOn.is_active)


def add_target(
    session: Session, owner_id: str, add_on_id: uuid.UUID, now: datetime
) -> AddTarget | None:
    """Return the active add-on `add_on_id` as `owner_id` would add it, or None."""
    # Columns only, no entities: run on the session's connection, skipping the ORM's layer.
    row = (
        session.connection()
        .execute(ADD_TARGET, {"owner_id": owner_id, "add_on_id": add_on_id, "now": now})
        .one_or_none()
    )
    return None if row is None else AddTarget(*row)


def pricing_rules_for(
    session: Session, add_on_ids: Collection[uuid.UUID], tier: str | None
) -> list[PricingRule]:
    """Return the active rules for these add-ons that apply to `tier` or to every tier.

    The engine checks the validity window and conditions (idx_pricing_rules_active_lookup).
    """
    if not add_on_ids:
        return []
    tier_match: ColumnElement[bool] = PricingRule.tier_code.is_(None)
    if tier is not None:
        tier_match = or_(tier_match, PricingRule.tier_code == tier)
    return list(
        session.scalars(
            select(PricingRule).where(
                PricingRule.is_active, PricingRule.add_on_id.in_(list(add_on_ids)), tier_match
            )
        )
    )


def active_bundle(session: Session, bundle_id: uuid.UUID, now: datetime) -> AddOnBundle | None:
    """Return the bundle if it is active and valid at `now`."""
    return session.scalars(
        select(AddOnBundle).where(AddOnBundle.id == bundle_id, live_at(now))
    ).one_or_none()


def active_add_ons(session: Session, add_on_ids: Collection[uuid.UUID]) -> list[AddOn]:
    """Return the active add-ons among `add_on_ids`, in catalog order."""
    return list(
        session.scalars(
            select(AddOn)
            .where(AddOn.id.in_(list(add_on_ids)), AddOn.is_active)
            .order_by(AddOn.display_order, AddOn.name)
        )
    )
