"""Promo codes: read them, the purchase facts their restrictions depend on, and count uses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, text, update
from sqlalchemy.orm import Session

from marketplace.models import AddOnPurchase, PromotionalCode
from marketplace.pricing import PromoCode, normalize_code
from marketplace.vocabulary import PurchaseStatus

MAX_CODE_LENGTH = 50


@dataclass(frozen=True)
class PurchaseFacts:
    """What promo restrictions ask about a shopper's history (completed purchases only)."""

    has_completed_purchase: bool = False
    used_promo_codes: frozenset[str] = frozenset()
    """Upper-cased codes redeemed in completed purchases."""


def find_code(session: Session, typed: str) -> PromotionalCode | None:
    """Return the code matching `typed` in any case (served by the unique upper(code) index)."""
    code = normalize_code(typed)
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    return session.scalars(
        select(PromotionalCode).where(func.upper(PromotionalCode.code) == code)
    ).one_or_none()


def to_pricing(row: PromotionalCode) -> PromoCode:
    """Convert a stored code into the pricing engine's plain `PromoCode`."""
    return PromoCode(
        code=row.code,
        discount_type=row.discount_type,
        discount_value=row.discount_value,
        max_uses=row.max_uses,
        current_uses=row.current_uses,
        applicable_to=None if row.applicable_to is None else tuple(row.applicable_to),
        expires_at=row.expires_at,
        is_active=row.is_active,
        valid_from=row.valid_from,
        min_purchase_amount=row.min_purchase_amount,
        user_restrictions=dict(row.user_restrictions or {}),
    )


def purchase_facts(session: Session, user_id: str | None) -> PurchaseFacts:
    """Return whether `user_id` completed a purchase and which codes they redeemed (one query).

    Anonymous shoppers (None) have no purchases, so no query runs for them.
    """
    if user_id is None:
        return PurchaseFacts()
    count, codes = session.execute(
        select(
            func.count(AddOnPurchase.id),
            func.array_agg(func.distinct(func.upper(PromotionalCode.code))).filter(
                PromotionalCode.code.is_not(None)
            ),
        )
        .select_from(AddOnPurchase)
        .outerjoin(PromotionalCode, PromotionalCode.id == AddOnPurchase.promo_code_id)
        .where(AddOnPurchase.user_id == user_id, AddOnPurchase.status == PurchaseStatus.COMPLETED)
    ).one()
    return PurchaseFacts(has_completed_purchase=count > 0, used_promo_codes=frozenset(codes or ()))


def reserve_promo(session: Session, code_id: uuid.UUID) -> bool:
    """Take one use of a code if it is active, unexpired and not used up (one guarded UPDATE)."""
    # An UPDATE's result is a CursorResult; `Session.execute` is typed to return a plain Result.
    updated = cast(
        CursorResult[Any],
        session.execute(
            text(
                "UPDATE promotional_codes SET current_uses = current_uses + 1 "
                "WHERE id = :id AND is_active "
                "AND (max_uses IS NULL OR current_uses < max_uses) "
                "AND (expires_at IS NULL OR expires_at > now()) "
                "AND (valid_from IS NULL OR valid_from <= now())"
            ),
            {"id": code_id},
        ),
    )
    return updated.rowcount == 1


def give_back_promo(session: Session, code_id: uuid.UUID) -> None:
    session.execute(
        update(PromotionalCode)
        .where(PromotionalCode.id == code_id, PromotionalCode.current_uses > 0)
        .values(current_uses=PromotionalCode.current_uses - 1)
    )
