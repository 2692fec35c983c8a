"""Shoppers' e-mail addresses: kept at sign-in, read when a letter is owed."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from marketplace.models import ShopperContact

MAX_ADDRESS = 320
MAX_NAME = 255
# One @, something on each side, a dot in the domain, no spaces or angle brackets: enough to
# refuse what is not an address; the mail server has the last word.
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+$")


def is_address(text: object) -> bool:
    """Whether `text` reads as one e-mail address."""
    return isinstance(text, str) and len(text) <= MAX_ADDRESS and bool(_ADDRESS.match(text))


def remember(session: Session, user_id: str, email: str | None, name: str | None) -> None:
    """Keep the address (and name) the user signed in with, and commit; none given keeps the
    one known."""
    if not is_address(email):
        return
    # A name goes into the To header: whitespace (line breaks included) collapses to spaces.
    name = " ".join((name or "").split())[:MAX_NAME] or None
    values = {"email": email, "name": name, "updated_at": func.now()}
    statement = insert(ShopperContact).values(user_id=user_id, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["user_id"], set_=values))
    session.commit()


def contact_of(session: Session, user_id: str) -> ShopperContact | None:
    """The user's address and name, if they ever signed in with one."""
    return session.scalar(select(ShopperContact).where(ShopperContact.user_id == user_id))
