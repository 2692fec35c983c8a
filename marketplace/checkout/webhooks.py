"""Stripe webhook events → fulfilment: each event type to the one function that owns it.

Unknown types are acknowledged and ignored. The event id goes with every call, so a
redelivered event is a no-op.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from marketplace.checkout import fulfilment
from marketplace.checkout.service import purchase_ids_from

CENT = Decimal("0.01")


def handle(event: dict[str, Any]) -> fulfilment.Outcome:
    """Apply one verified Stripe event; return what changed."""
    kind = event.get("type", "")
    obj = (event.get("data") or {}).get("object") or {}
    ref = fulfilment.Event(id=event["id"], type=kind)
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        if obj.get("payment_status") not in ("paid", "no_payment_required"):
            return fulfilment.NOTHING  # async payment: wait for async_payment_succeeded
        return fulfilment.fulfil(_payment(obj), event=ref)
    if kind in ("checkout.session.async_payment_failed", "checkout.session.expired"):
        reason = (
            "The payment failed."
            if kind.endswith("failed")
            else "The checkout session expired before payment."
        )
        return fulfilment.release(
            obj["id"],
            reason,
            purchase_ids=purchase_ids_from(obj.get("metadata")),
            user_id=obj.get("client_reference_id"),
            event=ref,
        )
    if kind == "invoice.paid":
        subscription = _invoice_subscription(obj)
        if subscription is None or obj.get("billing_reason") == "subscription_create":
            return fulfilment.NOTHING  # the first invoice is the checkout itself
        return fulfilment.renew(subscription, _period_end(obj), event=ref)
    if kind == "customer.subscription.deleted":
        return fulfilment.end_subscription(obj["id"], event=ref)
    if kind == "charge.refunded":
        references = [_id(obj.get("payment_intent")), _id(obj.get("invoice"))]
        amount = Decimal(int(obj.get("amount_refunded") or 0)) * CENT
        return fulfilment.refund([r for r in references if r], amount, event=ref)
    return fulfilment.NOTHING


def _payment(session: dict[str, Any]) -> fulfilment.Payment:
    return fulfilment.Payment(
        session_id=session["id"],
        payment_reference=_id(session.get("payment_intent")) or _id(session.get("invoice")),
        subscription_id=_id(session.get("subscription")),
        purchase_ids=purchase_ids_from(session.get("metadata")),
        user_id=session.get("client_reference_id"),
    )


def _invoice_subscription(invoice: dict[str, Any]) -> str | None:
    # API versions before 2025-03 name it on the invoice; later ones under parent.
    direct = _id(invoice.get("subscription"))
    if direct:
        return direct
    parent = invoice.get("parent") or {}
    return _id((parent.get("subscription_details") or {}).get("subscription"))


def _period_end(invoice: dict[str, Any]) -> datetime | None:
    ends = [
        line.get("period", {}).get("end") for line in (invoice.get("lines") or {}).get("data") or []
    ]
    ends = [end for end in ends if end]
    return datetime.fromtimestamp(max(ends), UTC) if ends else None


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return value or None
