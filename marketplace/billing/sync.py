"""Deliver the outbox with the configured Lago, payments provider, postman and webhook sender."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
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


def payments_for(config: Mapping[str, Any]):
    """The payments provider (Stripe, or offline outside production), else None."""
    from marketplace.payments import PaymentsUnavailable, provider_for

    try:
        # Outbox calls never open a checkout, so the offline page URL is never needed.
        return provider_for(config, lambda session_id: "")
    except PaymentsUnavailable:
        return None


def mail_for(config: Mapping[str, Any]):
    """The postman: SMTP at MAIL_SERVER, else `.eml` files (never in production)."""
    from marketplace.mail.postman import postman_for

    return postman_for(config)


def webhooks_for(config: Mapping[str, Any]):
    """The webhook sender (always configured: endpoints are rows, not settings)."""
    from marketplace.events.sender import sender_for

    return sender_for(config)


def sync_billing(
    session: Session,
    config: Mapping[str, Any],
    *,
    ids: Sequence[uuid.UUID] | None = None,
    limit: int = 500,
    progress: Callable[[int], None] | None = None,
) -> outbox.DeliveryReport:
    """Deliver due outbox entries (or `ids`): Lago calls, payment-provider calls, e-mail and
    events to webhook endpoints.

    Entries for one that is not configured (Lago without `LAGO_API_URL`) stay pending.
    """
    return outbox.deliver(
        session,
        lago=lago_for(config),
        payments=payments_for(config),
        mail=mail_for(config),
        webhooks=webhooks_for(config),
        ids=ids,
        limit=limit,
        progress=progress,
    )


def deliver_after_commit(
    session: Session, config: Mapping[str, Any], ids: Sequence[uuid.UUID]
) -> None:
    """Best effort, right after a commit: failures stay in the outbox for `deliver-outbox`."""
    if not ids:
        return
    try:
        sync_billing(session, config, ids=ids)
    except Exception:  # never fail a request that already committed
        log.warning("outbox delivery failed; deliver-outbox will retry", exc_info=True)
        session.rollback()
