"""Edit an add-on's feature mappings (`add_on_features`): one transaction each, audited as
changes of the add-on (they show in its history)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.admin.audit.service import Actor, changed_fields, record
from marketplace.admin.catalog.service import OBJECT_TYPE
from marketplace.admin.changes import NotFound, Refused
from marketplace.models import AddOn, AddOnFeature, FeatureDefinition


def save_feature(
    session: Session,
    actor: Actor,
    add_on_id: uuid.UUID,
    feature_key: str,
    *,
    enabled: bool,
    configuration: dict[str, Any],
) -> AddOnFeature:
    """Map `feature_key` to the add-on (or change its mapping); Refused for an unknown key."""
    if session.get(AddOn, add_on_id) is None:
        raise NotFound("This add-on does not exist (any more).")
    if session.get(FeatureDefinition, feature_key) is None:
        raise Refused(f"“{feature_key}” is not a platform feature.", field="feature_key")
    mapping = _mapping(session, add_on_id, feature_key)
    before = _fields(mapping) if mapping else None
    if mapping is None:
        mapping = AddOnFeature(add_on_id=add_on_id, feature_key=feature_key)
        session.add(mapping)
    mapping.enabled = enabled
    mapping.configuration = configuration
    after = _fields(mapping)
    if before is None:
        record(session, actor, "add_on_feature.create", OBJECT_TYPE, add_on_id, None, after)
    elif before != after:
        old, new = changed_fields(before, after)
        old["feature_key"] = new["feature_key"] = feature_key
        record(session, actor, "add_on_feature.update", OBJECT_TYPE, add_on_id, old, new)
    session.commit()
    return mapping


def remove_feature(session: Session, actor: Actor, add_on_id: uuid.UUID, feature_key: str) -> None:
    """Unmap `feature_key` from the add-on; NotFound when it was not mapped."""
    mapping = _mapping(session, add_on_id, feature_key)
    if mapping is None:
        raise NotFound("This feature is not mapped to the add-on (any more).")
    before = _fields(mapping)
    session.delete(mapping)
    record(session, actor, "add_on_feature.delete", OBJECT_TYPE, add_on_id, before, None)
    session.commit()


def _mapping(session: Session, add_on_id: uuid.UUID, feature_key: str) -> AddOnFeature | None:
    return session.scalar(
        select(AddOnFeature)
        .where(AddOnFeature.add_on_id == add_on_id, AddOnFeature.feature_key == feature_key)
        .with_for_update()
    )


def _fields(mapping: AddOnFeature) -> dict[str, Any]:
    return {
        "feature_key": mapping.feature_key,
        "enabled": mapping.enabled,
        "configuration": dict(mapping.configuration or {}),
    }
