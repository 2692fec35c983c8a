"""Change the catalog from the admin area: each function one transaction, audited.

Every change is written with its `admin_audit_log` row in the same commit; a refused change
writes nothing. The statement triggers of revision 008 bump the catalog version with it, so
every process's page cache shows the change (marketplace/catalog/version.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.admin import changes
from marketplace.admin.audit.service import Actor, changed_fields, jsonable, record
from marketplace.admin.changes import Conflict, NotFound, Refused
from marketplace.models import AddOn

OBJECT_TYPE = "add_on"
CONFLICT = "This add-on was changed by someone else since you opened it — reload to see it."
IN_USE = (
    "This add-on has been sold (purchases or subscriptions refer to it), so it cannot be "
    "deleted. Deactivate it instead: it leaves the shop and its buyers keep their history."
)


@dataclass(frozen=True)
class AddOnData:
    """Every editable column of an add-on, validated by the form."""

    name: str
    slug: str
    description: str | None
    category: str
    base_price: Decimal
    billing_type: str
    features: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    is_active: bool = True
    display_order: int = 100


def snapshot(add_on: AddOn) -> dict[str, Any]:
    """The add-on's editable fields as the audit log and the edit token see them."""
    return jsonable(
        {
            "name": add_on.name,
            "slug": add_on.slug,
            "description": add_on.description,
            "category": add_on.category,
            "base_price": add_on.base_price,
            "billing_type": add_on.billing_type,
            "features": list(add_on.features or []),
            "metadata": dict(add_on.meta or {}),
            "is_active": add_on.is_active,
            "display_order": add_on.display_order,
        }
    )


def edit_token(add_on: AddOn) -> str:
    """The add-on form's concurrent-edit token (marketplace/admin/changes.py)."""
    return changes.edit_token(add_on.updated_at, snapshot(add_on))


def create_add_on(session: Session, actor: Actor, data: AddOnData) -> AddOn:
    """Add an add-on; Refused (on `slug`) when its slug is taken."""
    _refuse_taken_slug(session, data.slug, None)
    add_on = AddOn()
    _assign(add_on, data)
    session.add(add_on)
    _flush_or_refuse_slug(session)
    record(session, actor, "add_on.create", OBJECT_TYPE, add_on.id, None, snapshot(add_on))
    session.commit()
    return add_on


def update_add_on(
    session: Session, actor: Actor, add_on_id: uuid.UUID, data: AddOnData, token: str
) -> AddOn:
    """Save `data` over the add-on loaded with edit `token`; Conflict if it changed since."""
    add_on = _locked(session, add_on_id)
    if edit_token(add_on) != token:
        session.rollback()
        raise Conflict(CONFLICT)
    _refuse_taken_slug(session, data.slug, add_on.id)
    before = snapshot(add_on)
    _assign(add_on, data)
    _flush_or_refuse_slug(session)
    changed = changed_fields(before, snapshot(add_on))
    if changed[1]:
        record(session, actor, "add_on.update", OBJECT_TYPE, add_on.id, *changed)
    session.commit()
    return add_on


def set_active(
    session: Session, actor: Actor, add_on_ids: Iterable[uuid.UUID], active: bool
) -> int:
    """(De)activate the add-ons (soft delete), one audit row each; how many changed."""
    action = "add_on.reactivate" if active else "add_on.deactivate"
    changed = 0
    for add_on in session.scalars(
        select(AddOn).where(AddOn.id.in_(list(add_on_ids))).order_by(AddOn.id).with_for_update()
    ):
        if add_on.is_active != active:
            add_on.is_active = active
            before, after = {"is_active": not active}, {"is_active": active}
            record(session, actor, action, OBJECT_TYPE, add_on.id, before, after)
            changed += 1
    session.commit()
    return changed


def delete_add_on(session: Session, actor: Actor, add_on_id: uuid.UUID) -> str:
    """Delete an add-on never sold; Refused when purchases or subscriptions refer to it (the
    RESTRICT foreign keys). Returns its name."""
    add_on = _locked(session, add_on_id)
    name, before = add_on.name, snapshot(add_on)
    session.delete(add_on)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Refused(IN_USE) from None
    record(session, actor, "add_on.delete", OBJECT_TYPE, add_on_id, before, None)
    session.commit()
    return name


def _locked(session: Session, add_on_id: uuid.UUID) -> AddOn:
    add_on = session.get(AddOn, add_on_id, with_for_update=True, populate_existing=True)
    if add_on is None:
        session.rollback()
        raise NotFound("This add-on does not exist (any more).")
    return add_on


def _assign(add_on: AddOn, data: AddOnData) -> None:
    add_on.name = data.name
    add_on.slug = data.slug
    add_on.description = data.description
    add_on.category = data.category
    add_on.base_price = data.base_price
    add_on.billing_type = data.billing_type
    add_on.features = list(data.features)
    add_on.meta = dict(data.meta)
    add_on.is_active = data.is_active
    add_on.display_order = data.display_order


def _refuse_taken_slug(session: Session, slug: str, own_id: uuid.UUID | None) -> None:
    taken = session.scalar(select(AddOn.id).where(AddOn.slug == slug))
    if taken is not None and taken != own_id:
        session.rollback()
        raise Refused(f"Another add-on already uses the slug “{slug}”.", field="slug")


def _flush_or_refuse_slug(session: Session) -> None:
    """Flush; an add-on that took the slug meanwhile (the unique constraint) is a Refused."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Refused("Another add-on took this slug meanwhile.", field="slug") from None
