"""Change bundles from the admin area, and preview what the shop will charge for one.

Each change is one transaction with its audit row; a refused change writes nothing. The
preview prices the members through `marketplace.quoting` — the adapter the cart and checkout
use — so its numbers are the pricing engine's, never a re-computation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace import pricing, quoting
from marketplace.admin import changes
from marketplace.admin.audit.service import Actor, changed_fields, jsonable, record
from marketplace.admin.changes import Conflict, NotFound, Refused
from marketplace.models import AddOn, AddOnBundle
from marketplace.shopper import Shopper

OBJECT_TYPE = "bundle"
CONFLICT = "This bundle was changed by someone else since you opened it — reload to see it."
MEMBERS = "add_on_ids"


@dataclass(frozen=True)
class BundleData:
    """Every editable column of a bundle, validated by the form."""

    name: str
    description: str | None
    add_on_ids: tuple[uuid.UUID, ...]
    discount_percent: Decimal | None
    discount_amount: Decimal | None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    is_active: bool = True
    display_order: int = 100


@dataclass(frozen=True)
class BundlePreview:
    """What the shop charges for the bundle's add-ons bought together (one of each)."""

    lines: tuple[tuple[AddOn, pricing.LineQuote], ...]
    original: Decimal
    price: Decimal
    saving: Decimal


def snapshot(bundle: AddOnBundle) -> dict[str, Any]:
    """The bundle's editable fields as the audit log and the edit token see them."""
    return jsonable(
        {
            "name": bundle.name,
            "description": bundle.description,
            MEMBERS: sorted(str(add_on_id) for add_on_id in bundle.add_on_ids),
            "discount_percent": bundle.discount_percent,
            "discount_amount": bundle.discount_amount,
            "valid_from": bundle.valid_from,
            "valid_until": bundle.valid_until,
            "is_active": bundle.is_active,
            "display_order": bundle.display_order,
        }
    )


def edit_token(bundle: AddOnBundle) -> str:
    return changes.edit_token(bundle.updated_at, snapshot(bundle))


def preview(session: Session, data: BundleData, now: datetime | None = None) -> BundlePreview:
    """Price one of each member with this bundle as the cart would, for a shopper on no tier;
    Refused when the members are not a bundle (see `members`)."""
    add_ons = members(session, data)
    offer = AddOnBundle(
        id=uuid.UUID(int=0),
        name=data.name or "Preview",
        add_on_ids=[add_on.id for add_on in add_ons],
        discount_percent=data.discount_percent,
        discount_amount=data.discount_amount,
        is_active=True,
    )
    quote = quoting.quote_add_ons(
        session,
        Shopper.anonymous(),
        [(add_on, 1) for add_on in add_ons],
        now=now or datetime.now(UTC),
        bundles=[offer],
    )
    lines = tuple(zip(add_ons, quote.lines, strict=True))
    price = sum((line.recurring_total for _, line in lines), Decimal("0.00"))
    saving = sum((line.bundle_discount for _, line in lines), Decimal("0.00"))
    return BundlePreview(lines=lines, original=price + saving, price=price, saving=saving)


def members(session: Session, data: BundleData) -> list[AddOn]:
    """The bundle's add-ons, by name; Refused unless they are at least two active add-ons whose
    total covers an amount discount."""
    wanted = set(data.add_on_ids)
    found = list(
        session.scalars(select(AddOn).where(AddOn.id.in_(wanted)).order_by(AddOn.name, AddOn.id))
    )
    inactive = [add_on.name for add_on in found if not add_on.is_active]
    if len(found) != len(wanted) or inactive:
        gone = ", ".join(inactive) or "some add-ons no longer exist"
        raise Refused(f"Only active add-ons can be in a bundle ({gone}).", field=MEMBERS)
    if len(found) < 2:
        raise Refused("Choose at least two add-ons.", field=MEMBERS)
    total = sum((add_on.base_price for add_on in found), Decimal("0.00"))
    if data.discount_amount is not None and data.discount_amount > total:
        raise Refused(
            f"The amount off is more than the add-ons cost together ({total}).",
            field="discount_value",
        )
    return found


def create_bundle(session: Session, actor: Actor, data: BundleData) -> AddOnBundle:
    """Add a bundle; Refused on its members, discount or a taken name."""
    _check(session, data, None)
    bundle = AddOnBundle()
    _assign(bundle, data)
    session.add(bundle)
    _flush_or_refuse_name(session)
    record(session, actor, "bundle.create", OBJECT_TYPE, bundle.id, None, snapshot(bundle))
    session.commit()
    return bundle


def update_bundle(
    session: Session, actor: Actor, bundle_id: uuid.UUID, data: BundleData, token: str
) -> AddOnBundle:
    """Save `data` over the bundle loaded with edit `token`; Conflict if it changed since."""
    bundle = _locked(session, bundle_id)
    if edit_token(bundle) != token:
        session.rollback()
        raise Conflict(CONFLICT)
    _check(session, data, bundle.id)
    before = snapshot(bundle)
    _assign(bundle, data)
    _flush_or_refuse_name(session)
    old, new = changed_fields(before, snapshot(bundle))
    if new:
        record(session, actor, "bundle.update", OBJECT_TYPE, bundle.id, old, new)
    session.commit()
    return bundle


def set_active(session: Session, actor: Actor, bundle_id: uuid.UUID, active: bool) -> AddOnBundle:
    """Deactivate (it leaves the shop and every cart's price) or reactivate the bundle."""
    bundle = _locked(session, bundle_id)
    if bundle.is_active != active:
        bundle.is_active = active
        action = "bundle.reactivate" if active else "bundle.deactivate"
        record(
            session, actor, action, OBJECT_TYPE, bundle.id, {"is_active": not active},
            {"is_active": active},
        )  # fmt: skip
    session.commit()
    return bundle


def _check(session: Session, data: BundleData, own_id: uuid.UUID | None) -> None:
    try:
        members(session, data)
    except Refused:
        session.rollback()
        raise
    taken = session.scalar(select(AddOnBundle.id).where(AddOnBundle.name == data.name))
    if taken is not None and taken != own_id:
        session.rollback()
        raise Refused(f"Another bundle is already called “{data.name}”.", field="name")


def _locked(session: Session, bundle_id: uuid.UUID) -> AddOnBundle:
    bundle = session.get(AddOnBundle, bundle_id, with_for_update=True, populate_existing=True)
    if bundle is None:
        session.rollback()
        raise NotFound("This bundle does not exist (any more).")
    return bundle


def _assign(bundle: AddOnBundle, data: BundleData) -> None:
    bundle.name = data.name
    bundle.description = data.description
    bundle.add_on_ids = sorted(set(data.add_on_ids))
    bundle.discount_percent = data.discount_percent
    bundle.discount_amount = data.discount_amount
    bundle.valid_from = data.valid_from
    bundle.valid_until = data.valid_until
    bundle.is_active = data.is_active
    bundle.display_order = data.display_order


def _flush_or_refuse_name(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Refused("Another bundle took this name meanwhile.", field="name") from None
