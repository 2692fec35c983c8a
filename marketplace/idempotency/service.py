"""Claim an idempotency key before the work, store the answer after it.

A key belongs to one caller. The first request with it claims it (a row without an answer,
committed at once, so a concurrent twin sees it); the work runs; its answer is stored. The same
key with the same request body later gets that answer again; with another body, a refusal; while
the first is still running, "in progress". A failure that changed nothing (a 5xx) gives the key
back, so the client's retry runs the work again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from marketplace.models import IdempotencyKey

# How long a key is kept (then `flask maintain expire-idempotency-keys` deletes it): a retry
# within a day is answered from it, as Stripe keeps its keys for 24 hours.
RETENTION_HOURS = 24


@dataclass(frozen=True)
class Claimed:
    """The key is new: do the work, then `finish` (or `release` on a server failure)."""


@dataclass(frozen=True)
class Replay:
    """The key answered this very request before: send the stored answer."""

    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Mismatch:
    """The key was used with another request body (or operation)."""


@dataclass(frozen=True)
class InProgress:
    """The first request with this key has not finished yet."""


Outcome = Claimed | Replay | Mismatch | InProgress


def fingerprint(operation: str, body: Any) -> str:
    """The hash a request is recognised by: its operation and its body, keys sorted."""
    text = json.dumps([operation, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def claim(session: Session, caller: str, key: str, operation: str, body: Any) -> Outcome:
    """Claim `key` for `caller`'s request (committed), or say why the work must not run."""
    request_hash = fingerprint(operation, body)
    inserted = session.execute(
        insert(IdempotencyKey)
        .values(caller=caller, key=key, operation=operation, request_hash=request_hash)
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    ).scalar_one_or_none()
    session.commit()
    if inserted is not None:
        return Claimed()
    row = session.execute(
        select(IdempotencyKey.request_hash, IdempotencyKey.status, IdempotencyKey.response).where(
            IdempotencyKey.caller == caller, IdempotencyKey.key == key
        )
    ).one()
    session.commit()
    if row.request_hash != request_hash:
        return Mismatch()
    if row.status is None:
        return InProgress()
    return Replay(status=row.status, body=row.response or {})


def finish(session: Session, caller: str, key: str, status: int, body: dict[str, Any]) -> None:
    """Store the answer of the claimed key (committed)."""
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.caller == caller, IdempotencyKey.key == key)
        .values(status=status, response=body)
    )
    session.commit()


def release(session: Session, caller: str, key: str) -> None:
    """Give the key back after a failure that changed nothing (committed)."""
    session.rollback()
    session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.caller == caller, IdempotencyKey.key == key)
    )
    session.commit()
