"""Feature entitlements: which platform features a user's active add-ons switch on.

A feature is enabled for a user when an add-on they hold an active, unexpired subscription to
has an enabled `add_on_features` row for it. When several add-ons enable the same feature,
their configurations merge generously: the larger number, `true` over `false`, the union of
lists, nested objects merged the same way; other values from the most recent purchase.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from marketplace.models import AddOnFeature, UserAddOn
from marketplace.vocabulary import SubscriptionStatus


def _holding(user_id: str | Collection[str], now: datetime):
    # The partial index idx_user_add_ons_user_id (status = 'active', INCLUDE expires_at) finds
    # the user's rows; add_on_features is reached through (add_on_id, feature_key).
    return and_(
        UserAddOn.user_id == user_id
        if isinstance(user_id, str)
        else UserAddOn.user_id.in_(list(user_id)),
        UserAddOn.status == SubscriptionStatus.ACTIVE,
        or_(UserAddOn.expires_at.is_(None), UserAddOn.expires_at > now),
        AddOnFeature.add_on_id == UserAddOn.add_on_id,
        AddOnFeature.enabled,
    )


def user_features(
    session: Session, user_id: str, now: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """Return each enabled feature key of `user_id` with its merged configuration (one query)."""
    return _features_by_user(session, user_id, now).get(user_id, {})


def features_of_users(
    session: Session, user_ids: Collection[str], now: datetime | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """`user_features` of each of `user_ids` (every one present, maybe empty), in one query."""
    found = _features_by_user(session, user_ids, now) if user_ids else {}
    return {user_id: found.get(user_id, {}) for user_id in user_ids}


def _features_by_user(
    session: Session, user_ids: str | Collection[str], now: datetime | None
) -> dict[str, dict[str, dict[str, Any]]]:
    return _holdings(session, user_ids, now or datetime.now(UTC))[0]


def _holdings(
    session: Session, user_ids: str | Collection[str], now: datetime
) -> tuple[dict[str, dict[str, dict[str, Any]]], datetime | None]:
    """Each user's features, and when the first subscription behind any of them lapses."""
    rows = session.execute(
        select(
            UserAddOn.user_id,
            AddOnFeature.feature_key,
            AddOnFeature.configuration,
            UserAddOn.expires_at,
        )
        .select_from(UserAddOn)
        .join(AddOnFeature, AddOnFeature.add_on_id == UserAddOn.add_on_id)
        .where(_holding(user_ids, now))
        .order_by(AddOnFeature.feature_key, UserAddOn.purchased_at, UserAddOn.add_on_id)
    ).all()
    by_user: dict[str, dict[str, dict[str, Any]]] = {}
    for user_id, key, configuration, _ in rows:
        features = by_user.setdefault(user_id, {})
        features[key] = merge_configuration(features.get(key, {}), configuration or {})
    lapses = [row.expires_at for row in rows if row.expires_at is not None]
    return by_user, min(lapses, default=None)


def entitlement_set(session: Session, user_id: str, now: datetime | None = None) -> dict[str, Any]:
    """A user's entitlements as the API and the `entitlements.updated` event show them."""
    return as_entitlements(user_id, user_features(session, user_id, now))


def entitlements_until(
    session: Session, user_id: str, now: datetime | None = None
) -> tuple[dict[str, Any], datetime | None]:
    """`entitlement_set`, and the moment it next changes by itself (a subscription lapsing), if
    any: until then only a write can change it."""
    features, until = _holdings(session, user_id, now or datetime.now(UTC))
    return as_entitlements(user_id, features.get(user_id, {})), until


def as_entitlements(user_id: str, features: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`user_id`, the sorted `feature_keys`, and each key's merged configuration: the one shape
    of a user's entitlements everywhere (API answers, events)."""
    return {"user_id": user_id, "feature_keys": sorted(features), "features": features}


def has_feature(
    session: Session, user_id: str | None, key: str, now: datetime | None = None
) -> bool:
    """Whether `user_id` holds an active, unexpired add-on that enables feature `key`."""
    if not user_id:
        return False
    now = now or datetime.now(UTC)
    return bool(
        session.scalar(
            select(exists().where(_holding(user_id, now), AddOnFeature.feature_key == key))
        )
    )


def merge_configuration(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Merge two configurations of one feature, keeping the more generous value of each key."""
    merged = dict(old)
    for name, value in new.items():
        if name not in merged:
            merged[name] = value
            continue
        current = merged[name]
        if isinstance(current, bool) and isinstance(value, bool):
            merged[name] = current or value
        elif _is_number(current) and _is_number(value):
            merged[name] = max(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            merged[name] = current + [item for item in value if item not in current]
        elif isinstance(current, dict) and isinstance(value, dict):
            merged[name] = merge_configuration(current, value)
        else:
            merged[name] = value
    return merged


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
