"""Reads for the account pages: a user's subscriptions (orders: marketplace.orders.queries)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from marketplace.models import AddOn, AddOnFeature, UserAddOn
from marketplace.vocabulary import SubscriptionStatus


def active_add_ons(session: Session, user_id: str, now: datetime) -> list[UserAddOn]:
    """Return the user's active subscriptions not expired at `now`, add-on loaded, by name."""
    # One query: the partial index idx_user_add_ons_user_id (status = 'active') finds the
    # user's rows, the add-on comes from the same statement through its primary key.
    statement = (
        select(UserAddOn)
        .join(UserAddOn.add_on)
        .options(contains_eager(UserAddOn.add_on))
        .where(
            UserAddOn.user_id == user_id,
            UserAddOn.status == SubscriptionStatus.ACTIVE,
            or_(UserAddOn.expires_at.is_(None), UserAddOn.expires_at > now),
        )
        .order_by(AddOn.name, UserAddOn.id)
    )
    return list(session.scalars(statement))


@dataclass(frozen=True)
class Holding:
    """An add-on the user holds: its name and the subscription to manage it from."""

    add_on_id: uuid.UUID
    name: str
    subscription_id: uuid.UUID


def holdings_among(
    session: Session, user_id: str, add_on_ids: Collection[uuid.UUID], now: datetime
) -> list[Holding]:
    """Return the user's active, unexpired subscriptions to any of `add_on_ids` (one query).

    The partial index idx_user_add_ons_user_id finds the user's rows; none asked, no query.
    """
    if not add_on_ids:
        return []
    statement = (
        select(UserAddOn.add_on_id, AddOn.name, UserAddOn.id)
        .join(UserAddOn.add_on)
        .where(
            UserAddOn.user_id == user_id,
            UserAddOn.status == SubscriptionStatus.ACTIVE,
            or_(UserAddOn.expires_at.is_(None), UserAddOn.expires_at > now),
            UserAddOn.add_on_id.in_(list(add_on_ids)),
        )
    )
    return [Holding(*row) for row in session.execute(statement)]


def subscriptions(session: Session, user_id: str) -> list[UserAddOn]:
    """Return every subscription of the user (any status), add-on and features loaded.

    Active ones first, then by add-on name.
    """
    statement = (
        select(UserAddOn)
        .join(UserAddOn.add_on)
        .options(
            contains_eager(UserAddOn.add_on)
            .selectinload(AddOn.feature_rows)
            .selectinload(AddOnFeature.definition)
        )
        .where(UserAddOn.user_id == user_id)
        .order_by((UserAddOn.status != SubscriptionStatus.ACTIVE), AddOn.name, UserAddOn.id)
    )
    return list(session.scalars(statement))


def sharing_payment(session: Session, subscriptions: list[UserAddOn]) -> set[uuid.UUID]:
    """Return the ids of `subscriptions` whose provider subscription pays for other add-ons too.

    Add-ons bought in one checkout share one Stripe subscription (one item each); one query for
    the lot, through idx_user_add_ons_stripe_subscription.
    """
    provider_ids = {s.stripe_subscription_id for s in subscriptions if s.stripe_subscription_id}
    if not provider_ids:
        return set()
    rows = session.execute(
        select(UserAddOn.stripe_subscription_id, UserAddOn.id).where(
            UserAddOn.stripe_subscription_id.in_(provider_ids)
        )
    ).all()
    holders: dict[str, set[uuid.UUID]] = {}
    for provider_id, subscription_id in rows:
        holders.setdefault(provider_id, set()).add(subscription_id)
    return {
        s.id
        for s in subscriptions
        if s.stripe_subscription_id and holders.get(s.stripe_subscription_id, set()) - {s.id}
    }


def subscription(
    session: Session, user_id: str, subscription_id: uuid.UUID, *, for_update: bool = False
) -> UserAddOn | None:
    """Return the user's subscription `subscription_id` (None if it is someone else's)."""
    statement = (
        select(UserAddOn)
        .options(
            joinedload(UserAddOn.add_on)
            .selectinload(AddOn.feature_rows)
            .selectinload(AddOnFeature.definition)
        )
        .where(UserAddOn.id == subscription_id, UserAddOn.user_id == user_id)
    )
    if for_update:
        statement = statement.with_for_update(of=UserAddOn)
    return session.scalars(statement).unique().one_or_none()
