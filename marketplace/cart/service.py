"""Cart mutations: each function is one transaction with one commit.

Errors are raised as `CartError` subclasses carrying the HTTP status and a message the
shopper can read; the routes show them where the shopper acted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, select, text, update
from sqlalchemy.orm import Session

from marketplace import funnel
from marketplace.cart import queries
from marketplace.models import AddOn, AddOnBundle, CartItem
from marketplace.pricing.models import MAX_QUANTITY
from marketplace.refusals import Refusal
from marketplace.vocabulary import FunnelStep

MIN_QUANTITY = 1
GONE = "That item isn't in your cart."


class CartError(Refusal):
    """A cart request that cannot be carried out."""


class NotFound(CartError):
    status = 404


class AlreadyOwned(CartError):
    status = 409


class InvalidQuantity(CartError):
    status = 422


@dataclass(frozen=True)
class Added:
    """What an add did: the add-on names added, and notes (e.g. a quantity capped at 100)."""

    names: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def message(self) -> str:
        added = f"Added {', '.join(self.names)} to your cart." if self.names else ""
        return " ".join(part for part in (added, *self.notes) if part)


def add_item(session: Session, owner_id: str, add_on_id: uuid.UUID, quantity: int = 1) -> Added:
    """Add `quantity` of an active add-on to the cart, or raise the quantity of its line.

    The line's quantity is capped at 100; a shopper who owns the add-on is refused.
    """
    _check_quantity(quantity)
    target = queries.add_target(session, owner_id, add_on_id, datetime.now(UTC))
    if target is None:
        raise NotFound("That add-on doesn't exist or is no longer available.")
    if target.owned:
        raise AlreadyOwned(f"You already own {target.name}.")
    _add_lines(session, owner_id, [(add_on_id, quantity, target.base_price)])
    funnel.reached(session, owner_id, FunnelStep.CART)
    session.commit()
    notes: tuple[str, ...] = ()
    if target.in_cart + quantity > MAX_QUANTITY:
        notes = (
            f"A line holds at most {MAX_QUANTITY}, so {target.name} is now at {MAX_QUANTITY}.",
        )
    return Added(names=(target.name,), notes=notes)


def add_bundle(session: Session, owner_id: str, bundle_id: uuid.UUID) -> Added:
    """Add each add-on of an active bundle that is neither in the cart nor owned, one of each."""
    now = datetime.now(UTC)
    bundle: AddOnBundle | None = queries.active_bundle(session, bundle_id, now)
    if bundle is None:
        raise NotFound("That bundle doesn't exist or is no longer available.")
    add_ons = queries.active_add_ons(session, bundle.add_on_ids)
    owned = queries.owned_add_on_ids(session, owner_id, now, among=bundle.add_on_ids)
    in_cart = set(
        session.scalars(
            select(CartItem.add_on_id).where(
                CartItem.user_id == owner_id, CartItem.add_on_id.in_(bundle.add_on_ids)
            )
        )
    )
    to_add = [a for a in add_ons if a.id not in owned and a.id not in in_cart]
    _add_lines(session, owner_id, [(add_on.id, 1, add_on.base_price) for add_on in to_add])
    if to_add:
        funnel.reached(session, owner_id, FunnelStep.CART)
    session.commit()
    notes = []
    if owned:
        names = ", ".join(a.name for a in add_ons if a.id in owned)
        notes.append(f"You already own {names}.")
    if not to_add:
        notes.append(f"Everything in {bundle.name} is already in your cart or owned.")
    return Added(names=tuple(a.name for a in to_add), notes=tuple(notes))


@dataclass(frozen=True)
class Line:
    """One cart line as a change left it: its add-on's name and its quantity."""

    name: str
    quantity: int


def update_quantity(
    session: Session, owner_id: str | None, item_id: uuid.UUID, quantity: int
) -> Line:
    """Set the quantity of one of the owner's lines (1–100).

    One `UPDATE … RETURNING`, so a line removed meanwhile (another tab, a double submit) is a
    plain `NotFound`, never a stale ORM object.
    """
    _check_quantity(quantity)
    row = None
    if owner_id is not None:
        row = session.execute(
            update(CartItem)
            .where(*_owners_line(owner_id, item_id))
            .values(quantity=quantity)
            .returning(AddOn.name, CartItem.quantity),
            execution_options={"synchronize_session": False},
        ).one_or_none()
    session.commit()
    if row is None:
        raise NotFound(GONE)
    return Line(name=row.name, quantity=row.quantity)


def remove_item(session: Session, owner_id: str | None, item_id: uuid.UUID) -> str:
    """Remove one of the owner's lines; return the add-on's name.

    One `DELETE … RETURNING`: of two removals of one line, or a removal racing an update, the
    one that finds no line gets `NotFound`.
    """
    name = None
    if owner_id is not None:
        name = session.execute(
            delete(CartItem).where(*_owners_line(owner_id, item_id)).returning(AddOn.name),
            execution_options={"synchronize_session": False},
        ).scalar_one_or_none()
    session.commit()
    if name is None:
        raise NotFound(GONE)
    return name


def clear(session: Session, owner_id: str | None) -> int:
    """Remove every line of the owner's cart; return how many lines went."""
    if owner_id is None:
        return 0
    # A DELETE's result is a CursorResult; `Session.execute` is typed to return a plain Result.
    deleted = session.execute(delete(CartItem).where(CartItem.user_id == owner_id))
    removed = cast(CursorResult[Any], deleted).rowcount
    session.commit()
    return removed


@dataclass(frozen=True)
class Merged:
    """What a sign-in merge did: lines moved in, add-ons dropped as owned, lines capped."""

    moved: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    capped: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        parts = []
        if self.moved:
            count = len(self.moved)
            parts.append(f"We added {count} item{'s' if count != 1 else ''} from your cart.")
        parts += [f"{name} was dropped: you already own it." for name in self.dropped]
        parts += [
            f"{name} is capped at {MAX_QUANTITY}, the most a line can hold." for name in self.capped
        ]
        return " ".join(parts)


def merge_carts(session: Session, anonymous_owner: str, user_id: str) -> Merged:
    """Move an anonymous cart into `user_id`'s cart at sign-in, in one transaction.

    Quantities of an add-on in both carts are summed and capped at 100; add-ons the user
    already owns are dropped. The anonymous lines are claimed with one DELETE … RETURNING, so
    two concurrent sign-ins cannot merge the same lines twice.
    """
    claimed = session.execute(
        delete(CartItem)
        .where(CartItem.user_id == anonymous_owner)
        .returning(CartItem.add_on_id, CartItem.quantity, CartItem.unit_price_seen)
    ).all()
    if not claimed:
        session.commit()
        return Merged()
    ids = [row.add_on_id for row in claimed]
    names = dict(
        session.execute(select(AddOn.id, AddOn.name).where(AddOn.id.in_(ids))).tuples().all()
    )
    owned = queries.owned_add_on_ids(session, user_id, datetime.now(UTC), among=ids)
    existing = dict(
        session.execute(
            select(CartItem.add_on_id, CartItem.quantity).where(
                CartItem.user_id == user_id, CartItem.add_on_id.in_(ids)
            )
        )
        .tuples()
        .all()
    )
    moved, dropped, capped, lines = [], [], [], []
    for row in sorted(claimed, key=lambda r: names[r.add_on_id]):
        name = names[row.add_on_id]
        if row.add_on_id in owned:
            dropped.append(name)
            continue
        if existing.get(row.add_on_id, 0) + row.quantity > MAX_QUANTITY:
            capped.append(name)
        lines.append((row.add_on_id, row.quantity, row.unit_price_seen))
        moved.append(name)
    _add_lines(session, user_id, lines)
    session.commit()
    return Merged(moved=tuple(moved), dropped=tuple(dropped), capped=tuple(capped))


# One statement, so a double-click adding the same add-on twice cannot violate the
# (user_id, add_on_id) unique constraint; the quantity is capped in SQL. clock_timestamp(), not
# now() (the transaction's start, the same for every line a bundle adds), keeps lines in order.
# Plain SQL because SQLAlchemy 2.0 gives the PostgreSQL INSERT … ON CONFLICT construct no cache
# key: built with it, this hottest write was compiled anew on every add (~0.3 ms here).
UPSERT_LINE = text(
    "INSERT INTO cart_items (user_id, add_on_id, quantity, unit_price_seen, added_at)"
    " VALUES (:owner_id, :add_on_id, LEAST(:quantity, :max), :price_seen, clock_timestamp())"
    " ON CONFLICT (user_id, add_on_id)"
    " DO UPDATE SET quantity = LEAST(cart_items.quantity + EXCLUDED.quantity, :max)"
)


def _add_lines(
    session: Session, owner_id: str, lines: Sequence[tuple[uuid.UUID, int, Decimal | None]]
) -> None:
    """Add each (add-on, quantity, price seen) to the owner's cart, in order, in one batch."""
    if not lines:
        return
    session.connection().execute(
        UPSERT_LINE,
        [
            {
                "owner_id": owner_id,
                "add_on_id": add_on_id,
                "quantity": quantity,
                "price_seen": price_seen,
                "max": MAX_QUANTITY,
            }
            for add_on_id, quantity, price_seen in lines
        ],
    )


def _owners_line(owner_id: str, item_id: uuid.UUID) -> tuple[ColumnElement[bool], ...]:
    """The owner's line `item_id`, joined to its add-on (whose name the change returns)."""
    return (CartItem.id == item_id, CartItem.user_id == owner_id, CartItem.add_on_id == AddOn.id)


def _check_quantity(quantity: int) -> None:
    if not MIN_QUANTITY <= quantity <= MAX_QUANTITY:
        raise InvalidQuantity(
            f"Quantity must be a whole number from {MIN_QUANTITY} to {MAX_QUANTITY}."
        )
