"""The promo code an API cart carries between requests (a page's cart keeps it in the session)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from marketplace.models import CartPromoCode


def applied_code(session: Session, owner_id: str) -> str | None:
    return session.scalar(select(CartPromoCode.code).where(CartPromoCode.owner_id == owner_id))


def remember(session: Session, owner_id: str, code: str) -> None:
    """Keep `code` (already checked to apply) on the owner's cart, replacing any other."""
    statement = insert(CartPromoCode).values(owner_id=owner_id, code=code)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[CartPromoCode.owner_id],
            set_={"code": statement.excluded.code, "applied_at": statement.excluded.applied_at},
        )
    )
    session.commit()


def forget(session: Session, owner_id: str) -> bool:
    """Take the code off the owner's cart; whether there was one."""
    removed = session.scalar(
        delete(CartPromoCode)
        .where(CartPromoCode.owner_id == owner_id)
        .returning(CartPromoCode.code)
    )
    session.commit()
    return removed is not None
