"""Stripe's webhooks: verify the signature, then turn the payload into the shop's typed events.

Stripe's field names, its API versions' differences and its integer cents end here: what leaves
is a `payments.events` dataclass with Decimal amounts and aware datetimes, or `MalformedEvent`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import stripe

from marketplace.payments import InvalidSignature
from marketplace.payments.events import (
    Ignored,
    InvoiceLine,
    MalformedEvent,
    PaidInvoice,
    PaymentEvent,
    PaymentRefunded,
    RenewalFailed,
    RenewalPaid,
    SessionClosed,
    SessionPaid,
    SubscriptionEnded,
    purchase_ids_from,
)

# How far a webhook signature's timestamp may be from now, either way (Stripe's default).
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_CENTS = 10**12
MAX_TIMESTAMP = 253402300800  # 10000-01-01: later is not a date Python (or Stripe) has


def verify_event(payload: bytes, signature: str | None, secret: str | None) -> PaymentEvent:
    """Verify `payload` against the `Stripe-Signature` header and parse it into a typed event.

    Raises `InvalidSignature` for a missing, wrong, stale or future-dated signature and
    `MalformedEvent` for a signed body that is not the event its type promises.
    """
    if not signature or not secret:
        raise InvalidSignature("missing signature or webhook secret")
    timestamp = _signed_at(signature)
    if timestamp is not None and timestamp > time.time() + SIGNATURE_TOLERANCE_SECONDS:
        raise InvalidSignature("signature timestamp is in the future")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as error:
        raise InvalidSignature(str(error)) from error
    except (ValueError, TypeError, AttributeError) as error:
        raise MalformedEvent(f"the body is not a JSON event: {error}") from error
    return parse_event(event.to_dict())


def _signed_at(signature: str) -> int | None:
    for part in signature.split(","):
        key, _, value = part.partition("=")
        if key.strip() == "t":
            try:
                return int(value)
            except ValueError:
                raise InvalidSignature("the signature timestamp is not a number") from None
    return None


def parse_event(event: Any) -> PaymentEvent:
    """Turn a verified Stripe event into the shop's typed event (cents become Decimal)."""
    if not isinstance(event, dict):
        raise MalformedEvent("an event must be a JSON object")
    event_id, kind = _text(event, "id"), _text(event, "type")
    parse = _PARSERS.get(kind)
    if parse is None:
        return Ignored(event_id, kind)
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise MalformedEvent(f"{kind}: data.object must be an object")
    return parse(event_id, kind, obj)


def _session_event(event_id: str, kind: str, obj: dict[str, Any]) -> PaymentEvent:
    session_id = _text(obj, "id")
    metadata = obj.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise MalformedEvent(f"{kind}: metadata must be an object")
    purchase_ids = purchase_ids_from(metadata)
    user_id = _optional_text(obj, "client_reference_id")
    if kind in ("checkout.session.async_payment_failed", "checkout.session.expired"):
        reason = (
            "The payment failed."
            if kind.endswith("failed")
            else "The checkout session expired before payment."
        )
        failed = kind.endswith("failed")
        return SessionClosed(event_id, kind, session_id, reason, purchase_ids, user_id, failed)
    if obj.get("payment_status") not in ("paid", "no_payment_required"):
        return Ignored(event_id, kind)  # an async payment: wait for async_payment_succeeded
    return SessionPaid(
        event_id=event_id,
        event_type=kind,
        session_id=session_id,
        payment_reference=payment_reference(obj),
        subscription_id=_ref(obj, "subscription"),
        purchase_ids=purchase_ids,
        user_id=user_id,
        **collected_tax(obj),
    )


def collected_tax(session: dict[str, Any]) -> dict[str, Decimal | None]:
    """`amount_tax` and `amount_total` of a session that asked Stripe Tax to compute its tax
    (`automatic_tax.enabled`), as Decimal; both None for a session that collected none."""
    automatic = session.get("automatic_tax")
    if not (isinstance(automatic, dict) and automatic.get("enabled") is True):
        return {"amount_tax": None, "amount_total": None}
    details = session.get("total_details")
    if not isinstance(details, dict):
        raise MalformedEvent("total_details must be an object when automatic tax is on")
    return {
        "amount_tax": _money(details, "amount_tax"),
        "amount_total": _money(session, "amount_total"),
    }


def _money(obj: dict[str, Any], key: str) -> Decimal:
    cents = obj.get(key)
    if isinstance(cents, bool) or not isinstance(cents, int) or not 0 <= cents <= MAX_CENTS:
        raise MalformedEvent(f"{key} must be a whole number of cents")
    return Decimal(cents) / 100


def _renewed_subscription(obj: dict[str, Any]) -> str | None:
    """The subscription a renewal invoice bills; None for any other invoice (the first one is
    the checkout itself)."""
    # API versions before 2025-03 name the subscription on the invoice; later ones under parent.
    parent = obj.get("parent")
    details = parent.get("subscription_details") if isinstance(parent, dict) else None
    subscription = _ref(obj, "subscription") or (
        _ref(details, "subscription") if isinstance(details, dict) else None
    )
    if obj.get("billing_reason") == "subscription_create":
        return None
    return subscription


def _invoice_event(event_id: str, kind: str, obj: dict[str, Any]) -> PaymentEvent:
    subscription = _renewed_subscription(obj)
    if subscription is None:
        return Ignored(event_id, kind)
    lines = obj.get("lines")
    data = (lines.get("data") if isinstance(lines, dict) else None) or []
    if not isinstance(data, list) or not all(isinstance(line, dict) for line in data):
        raise MalformedEvent(f"{kind}: lines.data must be a list of objects")
    ends = []
    for line in data:
        period = line.get("period")
        if isinstance(period, dict) and period.get("end") is not None:
            ends.append(_timestamp(period, "end"))
    invoice_id = _text(obj, "id")
    automatic = obj.get("automatic_tax")
    taxed = isinstance(automatic, dict) and automatic.get("enabled") is True
    invoice = PaidInvoice(
        id=invoice_id,
        # What `_refund_event` will name: the charge's PaymentIntent, else its invoice.
        payment_reference=_ref(obj, "payment_intent") or invoice_id,
        currency=_text(obj, "currency").upper(),
        lines=tuple(_invoice_line(line) for line in data),
        tax=_money(obj, "tax") if taxed and obj.get("tax") is not None else None,
    )
    return RenewalPaid(event_id, kind, subscription, max(ends) if ends else None, invoice)


def _invoice_line(line: dict[str, Any]) -> InvoiceLine:
    """A line's amount less its discounts (cents become Decimal; a credit stays negative)."""
    discounts = line.get("discount_amounts") or []
    if not isinstance(discounts, list) or not all(isinstance(d, dict) for d in discounts):
        raise MalformedEvent("discount_amounts must be a list of objects")
    cents = _signed_cents(line, "amount") - sum(_signed_cents(d, "amount") for d in discounts)
    quantity = line.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        quantity = 1  # a line that is not per unit (an invoice item) counts once
    return InvoiceLine(Decimal(cents) / 100, quantity)


def _signed_cents(obj: dict[str, Any], key: str) -> int:
    cents = obj.get(key)
    if isinstance(cents, bool) or not isinstance(cents, int) or abs(cents) > MAX_CENTS:
        raise MalformedEvent(f"{key} must be a whole number of cents")
    return cents


def _failed_invoice_event(event_id: str, kind: str, obj: dict[str, Any]) -> PaymentEvent:
    subscription = _renewed_subscription(obj)
    if subscription is None:
        return Ignored(event_id, kind)  # a first payment failing fails its checkout instead
    next_attempt = (
        None if obj.get("next_payment_attempt") is None else _timestamp(obj, "next_payment_attempt")
    )
    return RenewalFailed(
        event_id,
        kind,
        subscription,
        _money(obj, "amount_due"),
        _text(obj, "currency").upper(),
        next_attempt,
        _optional_url(obj, "hosted_invoice_url"),
    )


def _subscription_event(event_id: str, kind: str, obj: dict[str, Any]) -> PaymentEvent:
    return SubscriptionEnded(event_id, kind, _text(obj, "id"))


def _refund_event(event_id: str, kind: str, obj: dict[str, Any]) -> PaymentEvent:
    references = tuple(r for r in (_ref(obj, "payment_intent"), _ref(obj, "invoice")) if r)
    try:
        refunded = _money(obj, "amount_refunded")
    except MalformedEvent as error:
        raise MalformedEvent(f"{kind}: {error}") from None
    return PaymentRefunded(event_id, kind, references, refunded, _latest_refund(obj))


def _latest_refund(charge: dict[str, Any]) -> str | None:
    """The id of the charge's newest refund, when the event lists them (API versions before
    2022-11 did, later ones only when expanded)."""
    refunds = charge.get("refunds")
    data = refunds.get("data") if isinstance(refunds, dict) else None
    listed = [r for r in data or [] if isinstance(r, dict) and isinstance(r.get("id"), str)]
    if not listed:
        return None
    newest = max(listed, key=lambda r: r["created"] if isinstance(r.get("created"), int) else 0)
    return _text(newest, "id")


_PARSERS = {
    "checkout.session.completed": _session_event,
    "checkout.session.async_payment_succeeded": _session_event,
    "checkout.session.async_payment_failed": _session_event,
    "checkout.session.expired": _session_event,
    "invoice.paid": _invoice_event,
    "invoice.payment_failed": _failed_invoice_event,
    "customer.subscription.deleted": _subscription_event,
    "charge.refunded": _refund_event,
}


def _text(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value or len(value) > 255:
        raise MalformedEvent(f"{key} must be a non-empty string")
    return value


def _optional_text(obj: dict[str, Any], key: str) -> str | None:
    return None if obj.get(key) is None else _text(obj, key)


def _ref(obj: dict[str, Any], key: str) -> str | None:
    """An id Stripe may send bare or as an expanded object."""
    value = obj.get(key)
    if isinstance(value, dict):
        return _optional_text(value, "id")
    return None if value in (None, "") else _text(obj, key)


def _optional_url(obj: dict[str, Any], key: str) -> str | None:
    """An https address the provider gave (e.g. its invoice page), else None."""
    value = obj.get(key)
    if isinstance(value, str) and value.startswith("https://") and len(value) <= 2000:
        return value
    return None


def _timestamp(obj: dict[str, Any], key: str) -> datetime:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < MAX_TIMESTAMP:
        raise MalformedEvent(f"{key} must be a Unix timestamp")
    return datetime.fromtimestamp(value, UTC)


def payment_reference(session: dict[str, Any]) -> str | None:
    """The id a refund will name: the PaymentIntent, else (subscriptions) the first invoice."""
    return _ref(session, "payment_intent") or _ref(session, "invoice")
