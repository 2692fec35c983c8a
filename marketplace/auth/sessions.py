"""Server-side sign-out for the signed session cookie.

The session is a cookie signed with `SECRET_KEY` (Flask's default): whoever holds a copy can
replay it, and clearing it in one browser does not void the copy. So each user has a session
generation in PostgreSQL (`session_generations`, no row = 0); sign-in writes the current one into
the cookie (`session["user"]["gen"]`) and sign-out adds one to it, which voids every cookie of
that user issued before: sign-out ends the user's sessions on every device.

Cost: one primary-key lookup per request of a signed-in user (`forget_revoked_session`),
nothing for anonymous shoppers, so catalog pages served from the cache stay free of SQL.
"""

from __future__ import annotations

from typing import Any

from flask import request, session
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from marketplace.auth.service import Identity
from marketplace.extensions import db
from marketplace.models import SessionGeneration

GENERATION_KEY = "gen"


def current_generation(user_id: str) -> int:
    """The user's session generation: how many times they signed out."""
    generation = db.session.scalar(
        select(SessionGeneration.generation).where(SessionGeneration.user_id == user_id)
    )
    return generation or 0


def start(identity: Identity) -> dict[str, Any]:
    """What sign-in stores as `session["user"]`: the identity and the current generation."""
    return {**identity.as_session(), GENERATION_KEY: current_generation(identity.user_id)}


def end_all(user_id: str) -> None:
    """Void every session of `user_id` issued until now, and commit."""
    statement = insert(SessionGeneration).values(user_id=user_id, generation=1)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[SessionGeneration.user_id],
            set_={
                "generation": SessionGeneration.generation + 1,
                "signed_out_at": func.now(),
            },
        )
    )
    db.session.commit()


def forget_revoked_session() -> None:
    """Before each request: a signed-in cookie from before the user's last sign-out is
    dropped, so the request goes on as an anonymous shopper's (guarded pages send it to sign
    in). Static files skip the lookup."""
    user = session.get("user")
    if not user or request.endpoint == "static":
        return
    if user.get(GENERATION_KEY, 0) != current_generation(user.get("id")):
        session.clear()
