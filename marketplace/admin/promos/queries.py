"""Read promo codes for the admin area: the list, a code's redemptions, a batch's codes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from marketplace.admin.keyset import PAGE_SIZE, Cursor, Page, keyset_page, like_pattern
from marketplace.models import AddOnPurchase, PromotionalCode, PurchaseDiscount
from marketplace.vocabulary import DiscountKind, PurchaseStatus

REDEEMED = (PurchaseStatus.COMPLETED, PurchaseStatus.REFUNDED)
CSV_CHUNK = 5_000


@dataclass(frozen=True)
class PromoFilters:
    q: str = ""
    status: str | None = None  # "active", "inactive" or None (both)
    batch_id: uuid.UUID | None = None  # the codes of one batch (idx_promotional_codes_batch)


def promo_list(
    session: Session, filters: PromoFilters, after: Cursor | None = None, size: int = PAGE_SIZE
) -> Page[PromotionalCode]:
    """One page of codes by code (the unique code index), after `after`."""
    query = select(PromotionalCode)
    if filters.q:
        query = query.where(PromotionalCode.code.ilike(like_pattern(filters.q.upper())))
    if filters.status:
        query = query.where(PromotionalCode.is_active.is_(filters.status == "active"))
    if filters.batch_id:
        query = query.where(PromotionalCode.batch_id == filters.batch_id)
    return keyset_page(session, query, PromotionalCode.code, PromotionalCode.id, after, size=size)


def promo(session: Session, code_id: uuid.UUID) -> PromotionalCode | None:
    return session.get(PromotionalCode, code_id)


@dataclass(frozen=True)
class Redemption:
    """One order line that used the code: who, when, which order, and the code's discount."""

    purchase: AddOnPurchase

    @property
    def discount(self) -> Decimal:
        promo_lines = [d.amount for d in self.purchase.discounts if d.kind == DiscountKind.PROMO]
        return sum(promo_lines, Decimal("0.00"))

    @property
    def when(self) -> datetime:
        return self.purchase.completed_at or self.purchase.purchased_at


def redemptions(
    session: Session, code_id: uuid.UUID, after: Cursor | None = None
) -> tuple[list[Redemption], Cursor | None]:
    """A page of the paid (or since refunded) lines that used the code, newest first
    (idx_add_on_purchases_promo_code_id)."""
    query = (
        select(AddOnPurchase)
        .where(AddOnPurchase.promo_code_id == code_id, AddOnPurchase.status.in_(REDEEMED))
        .options(
            joinedload(AddOnPurchase.order),
            joinedload(AddOnPurchase.add_on),
            selectinload(AddOnPurchase.discounts),
        )
    )
    page = keyset_page(
        session, query, AddOnPurchase.purchased_at, AddOnPurchase.id, after, descending=True
    )
    return [Redemption(row) for row in page.rows], page.next_cursor


def redemption_totals(session: Session, code_id: uuid.UUID) -> tuple[int, int, Decimal]:
    """(lines, customers, promo discount given) over every redemption of the code."""
    lines, users = session.execute(
        select(
            func.count(AddOnPurchase.id), func.count(func.distinct(AddOnPurchase.user_id))
        ).where(AddOnPurchase.promo_code_id == code_id, AddOnPurchase.status.in_(REDEEMED))
    ).one()
    given = session.scalar(
        select(func.coalesce(func.sum(PurchaseDiscount.amount), 0))
        .join(AddOnPurchase, AddOnPurchase.id == PurchaseDiscount.purchase_id)
        .where(
            AddOnPurchase.promo_code_id == code_id,
            AddOnPurchase.status.in_(REDEEMED),
            PurchaseDiscount.kind == DiscountKind.PROMO,
        )
    )
    return lines, users, Decimal(given or 0)


def batch_size(session: Session, batch_id: uuid.UUID) -> int:
    """How many codes the batch made (idx_promotional_codes_batch)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(PromotionalCode)
            .where(PromotionalCode.batch_id == batch_id)
        )
        or 0
    )


def batch_codes(session: Session, batch_id: uuid.UUID) -> Iterator[tuple[Any, ...]]:
    """The batch's codes with their terms, by code, read through a server-side cursor in
    chunks (idx_promotional_codes_batch): memory stays flat however large the batch."""
    result = session.execute(
        select(
            PromotionalCode.code,
            PromotionalCode.discount_type,
            PromotionalCode.discount_value,
            PromotionalCode.max_uses,
            PromotionalCode.valid_from,
            PromotionalCode.expires_at,
        )
        .where(PromotionalCode.batch_id == batch_id)
        .order_by(PromotionalCode.code)
        .execution_options(stream_results=True, yield_per=CSV_CHUNK)
    )
    for row in result:
        yield tuple(row)
