"""The promo code applied to a cart, kept between requests: one record per cart.

A signed-in user's code is kept in `cart_promo_codes` under their user id — the one record the
cart page, the checkout and the API read and write, so a code applied in the browser is on the
API's cart and the reverse. An anonymous browser cart has no user id: its code stays in the
session cookie, and moves into the table when the shopper signs in (`carry_over`).
"""

from __future__ import annotations

from flask import session as cookie
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from marketplace.models import CartPromoCode
from marketplace.quoting import CartView
from marketplace.shopper import Shopper

# An anonymous cart's code in the session cookie (re-validated on every render).
SESSION_KEY = "promo_code"


def applied_code(session: Session, shopper: Shopper) -> str | None:
    """The code on the shopper's cart, or None."""
    if shopper.user_id is None:
        return anonymous_code()
    return session.scalar(
        select(CartPromoCode.code).where(CartPromoCode.owner_id == shopper.user_id)
    )


def remember(session: Session, shopper: Shopper, code: str) -> None:
    """Keep `code` (already checked to apply) on the shopper's cart, replacing any other."""
    if shopper.user_id is None:
        cookie[SESSION_KEY] = code
        return
    _store(session, shopper.user_id, code)


def forget(session: Session, shopper: Shopper) -> str | None:
    """Take the code off the shopper's cart; the code that was on it, if any."""
    if shopper.user_id is None:
        return cookie.pop(SESSION_KEY, None)
    removed = session.scalar(
        delete(CartPromoCode)
        .where(CartPromoCode.owner_id == shopper.user_id)
        .returning(CartPromoCode.code)
    )
    session.commit()
    return removed


def drop_if_rejected(session: Session, shopper: Shopper, view: CartView) -> str | None:
    """Take the kept code off the cart when `view`, priced with it, rejected it (it expired, was
    used up, or the cart no longer qualifies): the reason, said once; else None."""
    kept = applied_code(session, shopper)
    rejection = view.quote.promo_rejection
    if not kept or view.promo_code != kept or rejection is None:
        return None
    forget(session, shopper)
    return rejection.message


def anonymous_code() -> str | None:
    """The code of the session's anonymous cart (sign-in reads it before clearing the session)."""
    code = cookie.get(SESSION_KEY)
    return code if isinstance(code, str) else None


def carry_over(session: Session, user_id: str, code: str | None) -> None:
    """At sign-in: the anonymous cart's `code`, applied last, goes to the user's cart."""
    if code:
        _store(session, user_id, code)


def _store(session: Session, user_id: str, code: str) -> None:
    statement = insert(CartPromoCode).values(owner_id=user_id, code=code)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[CartPromoCode.owner_id],
            set_={"code": statement.excluded.code, "applied_at": statement.excluded.applied_at},
        )
    )
    session.commit()
