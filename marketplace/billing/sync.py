"""Deliver the outbox with the configured Lago and payments provider."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy.orm import Session

from marketplace.billing import outbox
from marketplace.extensions import db

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.local import LocalProxy

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


def sync_billing(
    session: Session,
    config: Mapping[str, Any],
    *,
    ids: Sequence[uuid.UUID] | None = None,
    limit: int = 500,
) -> outbox.DeliveryReport | None:
    """Deliver due outbox entries (or `ids`); None when neither Lago nor payments is configured.

    Entries for one that is not configured (Lago without `LAGO_API_URL`) stay pending.
    """
    lago, payments = lago_for(config), payments_for(config)
    if lago is None and payments is None:
        return None
    return outbox.deliver(session, lago=lago, payments=payments, ids=ids, limit=limit)


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


def deliver_after_response(response, outbox_ids: Sequence[uuid.UUID]):
    """Deliver `outbox_ids` once `response` has gone (best effort; the outbox keeps them)."""
    if outbox_ids:
        from flask import current_app

        # Flask annotates `current_app` as the app; it is a proxy, and the callback needs the app.
        app = cast("LocalProxy[Flask]", current_app)._get_current_object()
        config = dict(app.config)

        @response.call_on_close
        def deliver() -> None:
            with app.app_context():
                deliver_after_commit(db.session(), config, outbox_ids)

    return response
