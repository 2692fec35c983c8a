"""Reads for bundles: the live ones, the ones containing some add-ons, and their prices."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from marketplace.models import AddOn, AddOnBundle
from marketplace.models.base import utcnow
from marketplace.pricing import BundleOffer, bundle_price
from marketplace.pricing.money import format_money


def live_at(now: datetime) -> ColumnElement[bool]:
    """Active and inside its validity window at `now` (idx_add_on_bundles_active_window)."""
    return and_(
        AddOnBundle.is_active,
        or_(AddOnBundle.valid_from.is_(None), AddOnBundle.valid_from <= now),
        or_(AddOnBundle.valid_until.is_(None), AddOnBundle.valid_until > now),
    )


def as_offer(bundle: AddOnBundle) -> BundleOffer:
    """Return `bundle` as pricing-engine input."""
    return BundleOffer(
        id=bundle.id,
        name=bundle.name,
        add_on_ids=tuple(bundle.add_on_ids),
        discount_percent=bundle.discount_percent,
        discount_amount=bundle.discount_amount,
        is_active=bundle.is_active,
        valid_from=bundle.valid_from,
        valid_until=bundle.valid_until,
    )


def bundles_containing(
    session: Session, add_on_ids: Collection[uuid.UUID], *, now: datetime | None = None
) -> list[AddOnBundle]:
    """Return the live bundles holding any of `add_on_ids`, featured first (one query).

    `add_on_ids && ARRAY[...]` is answered by the GIN index idx_add_on_bundles_add_on_ids.
    """
    if not add_on_ids:
        return []
    wanted = sorted(set(add_on_ids))
    query = (
        select(AddOnBundle)
        .where(
            AddOnBundle.add_on_ids.overlap(wanted),
            live_at(now or utcnow()),
        )
        .order_by(AddOnBundle.display_order, AddOnBundle.name)
    )
    return list(session.scalars(query))


def savings_label(bundle: AddOnBundle) -> str:
    """Return how a bundle discounts, for hints: "save 15%" or "save $5.00"."""
    parts = []
    if bundle.discount_percent:
        parts.append(f"{bundle.discount_percent.normalize():f}%")
    if bundle.discount_amount:
        parts.append(format_money(bundle.discount_amount))
    return "save " + " + ".join(parts) if parts else ""


@dataclass(frozen=True)
class PricedBundle:
    """A live bundle with its add-ons and what buying them together costs."""

    bundle: AddOnBundle
    add_ons: tuple[AddOn, ...]
    original: Decimal
    price: Decimal
    saving: Decimal

    @property
    def billing_type(self) -> str | None:
        """The billing type the bundle's add-ons share, or None when they differ."""
        types = {add_on.billing_type for add_on in self.add_ons}
        return types.pop() if len(types) == 1 else None

    @property
    def savings_label(self) -> str:
        return savings_label(self.bundle)


def price_bundles(
    bundles: Sequence[AddOnBundle], add_ons: dict[uuid.UUID, AddOn]
) -> list[PricedBundle]:
    """Price each bundle whose add-ons are all in `add_ons` (active); skip the others."""
    priced = []
    for bundle in bundles:
        member_ids = list(dict.fromkeys(bundle.add_on_ids))
        if not member_ids or any(add_on_id not in add_ons for add_on_id in member_ids):
            continue  # an add-on was withdrawn: the bundle cannot be bought as a whole
        members = [add_ons[add_on_id] for add_on_id in member_ids]
        original, price, saving = bundle_price(
            as_offer(bundle), {member.id: member.base_price for member in members}
        )
        priced.append(PricedBundle(bundle, tuple(members), original, price, saving))
    return priced


def live_bundles(session: Session, *, now: datetime | None = None) -> list[PricedBundle]:
    """Return every live bundle with its active add-ons and prices (two queries)."""
    bundles = list(
        session.scalars(
            select(AddOnBundle)
            .where(live_at(now or utcnow()))
            .order_by(AddOnBundle.display_order, AddOnBundle.name)
        )
    )
    ids = {add_on_id for bundle in bundles for add_on_id in bundle.add_on_ids}
    add_ons = active_add_ons_by_id(session, ids)
    return price_bundles(bundles, add_ons)


def active_add_ons_by_id(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, AddOn]:
    """Return the active add-ons among `ids`, by id (one query)."""
    if not ids:
        return {}
    query = select(AddOn).where(AddOn.id.in_(list(ids)), AddOn.is_active)
    return {add_on.id: add_on for add_on in session.scalars(query)}
