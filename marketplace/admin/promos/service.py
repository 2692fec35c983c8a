"""Change promo codes from the admin area: one code at a time, or a batch of up to 100,000.

Codes are stored as the shop compares them (`pricing.normalize_code`: trimmed, upper-case), so
a duplicate in any case is refused on the code field. A batch is one `INSERT … SELECT FROM
unnest(:codes)` per round (a rare collision with an existing code is skipped by ON CONFLICT and
made again), written with ONE audit row naming its prefix and count.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.admin import changes
from marketplace.admin.audit.service import Actor, changed_fields, jsonable, record
from marketplace.admin.changes import Conflict, NotFound, Refused
from marketplace.models import AddOn, PromotionalCode, SubscriptionTier
from marketplace.pricing import RESTRICTION_KEYS, normalize_code
from marketplace.vocabulary import DiscountType

OBJECT_TYPE = "promo_code"
BATCH_TYPE = "promo_batch"
CONFLICT = "This code was changed by someone else since you opened it — reload to see it."
MAX_BATCH = 100_000
# 10 base32 characters are 50 random bits: a collision (then made again) is rare.
RANDOM_CHARS = 10
# RFC 4648 base32 letters mapped onto Crockford's alphabet: no I, L, O or U to misread.
_CROCKFORD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)


@dataclass(frozen=True)
class PromoTerms:
    """What a code gives and to whom: every column but the code itself."""

    discount_type: str
    discount_value: Decimal
    description: str | None = None
    max_uses: int | None = None
    applicable_to: tuple[uuid.UUID, ...] | None = None
    valid_from: datetime | None = None
    expires_at: datetime | None = None
    min_purchase_amount: Decimal | None = None
    first_purchase_only: bool = False
    tier: str | None = None
    once_per_user: bool = False
    is_active: bool = True

    def restrictions(self) -> dict[str, Any]:
        """`user_restrictions` as the engine reads them: only the restrictions that are set."""
        chosen = {
            "first_purchase_only": self.first_purchase_only,
            "tier": self.tier,
            "once_per_user": self.once_per_user,
        }
        return {key: value for key, value in chosen.items() if value}


@dataclass(frozen=True)
class Batch:
    id: uuid.UUID
    prefix: str
    count: int
    rounds: int = 1
    terms: dict[str, Any] = field(default_factory=dict)


def snapshot(code: PromotionalCode) -> dict[str, Any]:
    """The code's editable fields as the audit log and the edit token see them."""
    return jsonable(
        {
            "code": code.code,
            "description": code.description,
            "discount_type": code.discount_type,
            "discount_value": code.discount_value,
            "max_uses": code.max_uses,
            "applicable_to": None
            if code.applicable_to is None
            else sorted(str(add_on_id) for add_on_id in code.applicable_to),
            "valid_from": code.valid_from,
            "expires_at": code.expires_at,
            "min_purchase_amount": code.min_purchase_amount,
            "user_restrictions": dict(code.user_restrictions or {}),
            "is_active": code.is_active,
        }
    )


def edit_token(code: PromotionalCode) -> str:
    return changes.edit_token(code.updated_at, snapshot(code))


def value_problem(discount_type: str, value: Decimal) -> str | None:
    """Why `value` is no discount of `discount_type` (a percentage is at most 100), or None;
    the forms and the API both ask."""
    if discount_type == DiscountType.PERCENTAGE and value > 100:
        return "A percentage is at most 100."
    return None


def create_code(session: Session, actor: Actor, code: str, terms: PromoTerms) -> PromotionalCode:
    """Add a code (normalised as the shop normalises it); Refused when it exists in any case."""
    _check_terms(session, terms)
    promo = PromotionalCode(current_uses=0)
    _assign(promo, normalize_code(code), terms, {})
    _refuse_taken(session, promo.code, None)
    session.add(promo)
    _flush_or_refuse_code(session)
    record(session, actor, "promo_code.create", OBJECT_TYPE, promo.id, None, snapshot(promo))
    session.commit()
    return promo


def update_code(
    session: Session, actor: Actor, code_id: uuid.UUID, code: str, terms: PromoTerms, token: str
) -> PromotionalCode:
    """Save over the code loaded with edit `token`; Conflict if it changed since (a checkout
    taking a use counts as a change only of `current_uses`, which is not in the token)."""
    promo = session.get(PromotionalCode, code_id, with_for_update=True, populate_existing=True)
    if promo is None:
        session.rollback()
        raise NotFound("This promo code does not exist (any more).")
    if edit_token(promo) != token:
        session.rollback()
        raise Conflict(CONFLICT)
    _check_terms(session, terms)
    if terms.max_uses is not None and terms.max_uses < promo.current_uses:
        session.rollback()
        raise Refused(f"It was already used {promo.current_uses} times.", field="max_uses")
    before = snapshot(promo)
    _assign(promo, normalize_code(code), terms, dict(promo.user_restrictions or {}))
    _refuse_taken(session, promo.code, promo.id)
    _flush_or_refuse_code(session)
    old, new = changed_fields(before, snapshot(promo))
    if new:
        record(session, actor, "promo_code.update", OBJECT_TYPE, promo.id, old, new)
    session.commit()
    return promo


def generate_batch(
    session: Session, actor: Actor, prefix: str, count: int, terms: PromoTerms
) -> Batch:
    """Create `count` new random codes starting with `prefix` in one transaction, audited once."""
    if not 1 <= count <= MAX_BATCH:
        raise Refused(f"Make from 1 to {MAX_BATCH:,} codes.", field="count")
    _check_terms(session, terms)
    batch_id, prefix, missing, rounds = uuid.uuid4(), normalize_code(prefix), count, 0
    params = _batch_params(terms, batch_id)
    while missing:
        rounds += 1
        params["codes"] = [prefix + part for part in random_parts(missing)]
        missing -= _insert_codes(session, params)
    summary = jsonable({"prefix": prefix, "count": count, **_terms_summary(terms)})
    record(session, actor, "promo_code.batch_create", BATCH_TYPE, batch_id, None, summary)
    session.commit()
    return Batch(id=batch_id, prefix=prefix, count=count, rounds=rounds, terms=summary)


def random_parts(count: int) -> list[str]:
    """`count` distinct random strings of RANDOM_CHARS unambiguous characters (`secrets`)."""
    parts: set[str] = set()
    while len(parts) < count:
        need = count - len(parts)
        # 10 random bytes are 16 base32 characters; each code takes the first RANDOM_CHARS.
        raw = base64.b32encode(secrets.token_bytes(need * 10)).translate(_CROCKFORD).decode()
        parts.update(raw[i : i + RANDOM_CHARS] for i in range(0, len(raw), 16))
    return list(parts)


_INSERT = text(
    "INSERT INTO promotional_codes (code, description, discount_type, discount_value, max_uses, "
    "applicable_to, valid_from, expires_at, min_purchase_amount, user_restrictions, is_active, "
    "batch_id) "
    "SELECT c, :description, :discount_type, :discount_value, :max_uses, "
    "CAST(:applicable_to AS uuid[]), :valid_from, :expires_at, :min_purchase_amount, "
    "CAST(:user_restrictions AS jsonb), :is_active, :batch_id "
    "FROM unnest(CAST(:codes AS text[])) AS c "
    "ON CONFLICT DO NOTHING"
)


def _insert_codes(session: Session, params: dict[str, Any]) -> int:
    """Insert the codes in `params` (one statement); how many were new."""
    result = cast(CursorResult[Any], session.execute(_INSERT, params))
    return result.rowcount


def _batch_params(terms: PromoTerms, batch_id: uuid.UUID) -> dict[str, Any]:
    values = asdict(terms)
    for key in RESTRICTION_KEYS:
        values.pop(key)
    values["applicable_to"] = None if terms.applicable_to is None else list(terms.applicable_to)
    values["user_restrictions"] = json.dumps(terms.restrictions())
    return {**values, "batch_id": batch_id}


def _terms_summary(terms: PromoTerms) -> dict[str, Any]:
    summary = asdict(terms)
    return {key: value for key, value in summary.items() if value not in (None, False, ())}


def _assign(promo: PromotionalCode, code: str, terms: PromoTerms, kept: dict[str, Any]) -> None:
    promo.code = code
    promo.description = terms.description
    promo.discount_type = terms.discount_type
    promo.discount_value = terms.discount_value
    promo.max_uses = terms.max_uses
    promo.applicable_to = None if terms.applicable_to is None else list(terms.applicable_to)
    promo.valid_from = terms.valid_from
    promo.expires_at = terms.expires_at
    promo.min_purchase_amount = terms.min_purchase_amount
    promo.is_active = terms.is_active
    # Restrictions the form does not edit (if any were written by hand) are kept as they are.
    others = {key: value for key, value in kept.items() if key not in RESTRICTION_KEYS}
    promo.user_restrictions = {**others, **terms.restrictions()}


def _check_terms(session: Session, terms: PromoTerms) -> None:
    """Refused (on its field) when the terms name an add-on or a tier that does not exist: the
    forms offer only those that do, the API takes ids."""
    wanted = set(terms.applicable_to or ())
    found = set(session.scalars(select(AddOn.id).where(AddOn.id.in_(wanted)))) if wanted else set()
    refusal = None
    if wanted - found:
        refusal = Refused("Choose add-ons that exist.", field="applicable_to")
    elif terms.tier and session.get(SubscriptionTier, terms.tier) is None:
        refusal = Refused(f"“{terms.tier}” is not a subscription tier.", field="tier")
    if refusal is not None:
        session.rollback()
        raise refusal


def _refuse_taken(session: Session, code: str, own_id: uuid.UUID | None) -> None:
    taken = session.scalar(
        select(PromotionalCode.id).where(func.upper(PromotionalCode.code) == code)
    )
    if taken is not None and taken != own_id:
        session.rollback()
        raise Refused(f"The code “{code}” already exists.", field="code")


def _flush_or_refuse_code(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Refused("Another code took this name meanwhile.", field="code") from None
