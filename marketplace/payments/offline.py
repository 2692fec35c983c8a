"""The offline provider: no Stripe keys, so checkout opens a local, clearly marked test page.

Its Pay, Decline and Cancel buttons (in the checkout blueprint) drive the same fulfilment and
release code as Stripe's webhooks. No money moves; `provider_for` never picks it in production.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from decimal import Decimal

from marketplace.payments import ProviderSession, SessionRequest

log = logging.getLogger(__name__)

SESSION_PREFIX = "cs_offline_"


class OfflineProvider:
    name = "offline"

    def __init__(self, page_url: Callable[[str], str]) -> None:
        self._page_url = page_url

    def create_session(self, request: SessionRequest) -> ProviderSession:
        session_id = f"{SESSION_PREFIX}{uuid.uuid4().hex}"
        return ProviderSession(
            id=session_id,
            url=self._page_url(session_id),
            status="open",
            payment_status="unpaid",
            client_reference_id=request.client_reference_id,
            metadata=dict(request.metadata),
        )

    def retrieve_session(self, session_id: str) -> ProviderSession:
        # The test page settles the payment itself; until then the session is open and unpaid.
        return ProviderSession(id=session_id, url=None, status="open", payment_status="unpaid")

    def expire_session(self, session_id: str) -> ProviderSession | None:
        # A test session is paid only through its page, which settles the pending purchases:
        # once checkout has released them, the page refuses to pay, so expiry always holds.
        return ProviderSession(id=session_id, url=None, status="expired", payment_status="unpaid")

    def refund(self, payment_reference: str, amount: Decimal, idempotency_key: str) -> str:
        """No money moved, so the refund is only recorded (its id follows from the key)."""
        refund_id = "test_re_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        log.info("test refund %s: %s of %s", refund_id, amount, payment_reference)
        return refund_id

    def cancel_subscription(self, subscription_id: str) -> None:
        """Nothing is billed offline, so nothing to stop."""

    def set_renewal(self, subscription_id: str, auto_renew: bool) -> None:
        """Nothing is billed offline, so nothing renews."""

    def remove_subscription_item(
        self, subscription_id: str, add_on_id: str, *, cancel_if_last: bool
    ) -> None:
        """Nothing is billed offline, so no item to remove."""
