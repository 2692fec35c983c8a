"""Deliver the outbox with the configured Lago, or report that Lago is not configured."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from marketplace.billing import outbox

log = logging.getLogger(__name__)


def lago_for(config: Mapping[str, Any]):
    """The Lago client when LAGO_API_URL and LAGO_API_KEY are set, else None."""
    if not (config.get("LAGO_API_URL") and config.get("LAGO_API_KEY")):
        return None
    from marketplace.billing.lago_client import LagoBilling

    return LagoBilling(config["LAGO_API_URL"], config["LAGO_API_KEY"])


def sync_billing(
    session: Session,
    config: Mapping[str, Any],
    *,
    ids: Sequence[uuid.UUID] | None = None,
    limit: int = 500,
) -> outbox.DeliveryReport | None:
    """Deliver due outbox entries (or `ids`); None when Lago is not configured."""
    lago = lago_for(config)
    if lago is None:
        return None
    return outbox.deliver(session, lago, ids=ids, limit=limit)


def deliver_after_commit(
    session: Session, config: Mapping[str, Any], ids: Sequence[uuid.UUID]
) -> None:
    """Best effort, right after a commit: failures stay in the outbox for `sync-billing`."""
    if not ids:
        return
    try:
        sync_billing(session, config, ids=ids)
    except Exception:  # never fail a request that already committed
        log.warning("billing outbox delivery failed; sync-billing will retry", exc_info=True)
        session.rollback()
