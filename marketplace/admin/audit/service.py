"""Write the audit log: one row per admin change, in the transaction that makes the change."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from marketplace.models import AdminAuditEntry
from marketplace.vocabulary import Role


@dataclass(frozen=True)
class Actor:
    """Who makes an admin change, and the request it came with."""

    user_id: str
    role: Role
    request_id: str | None = None
    ip: str | None = None


def jsonable(value: Any) -> Any:
    """`value` as JSON keeps it: Decimal as its exact string, ids and times as text."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields whose values differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(
    session: Session,
    actor: Actor,
    action: str,
    obj_type: str,
    obj_id: object,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> AdminAuditEntry:
    """Add an audit row for `action` on `obj_type` `obj_id`; the caller's commit writes it with
    the change (or its rollback drops both)."""
    entry = AdminAuditEntry(
        actor=actor.user_id,
        actor_role=actor.role.value,
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        request_id=actor.request_id,
        ip=actor.ip,
    )
    session.add(entry)
    return entry
