"""Stripe Checkout through stripe-python: the only module that imports `stripe`.

Money crosses into Stripe here and only here: Decimal dollars become integer cents.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import stripe

from marketplace.payments import (
    InvalidSignature,
    PaymentError,
    ProviderSession,
    SessionRequest,
)
from marketplace.payments.breaker import Guard, Refused
from marketplace.payments.events import (
    Ignored,
    MalformedEvent,
    PaymentEvent,
    PaymentRefunded,
    RenewalPaid,
    SessionClosed,
    SessionPaid,
    SubscriptionEnded,
    purchase_ids_from,
)

# Stripe expires an unpaid Checkout Session after 24 hours unless told otherwise; the promo use
# it reserves should come back sooner (30 minutes is Stripe's minimum).
SESSION_LIFETIME_SECONDS = 30 * 60
# How far a webhook signature's timestamp may be from now, either way (Stripe's default).
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_CENTS = 10**12
MAX_TIMESTAMP = 253402300800  # 10000-01-01: later is not a date Python (or Stripe) has


def to_cents(amount: Decimal) -> int:
    """Decimal dollars → integer cents (amounts are already rounded to the cent)."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class StripeProvider:
    name = "stripe"

    def __init__(
        self, secret_key: str, *, api_base: str, timeouts: tuple[float, float], guard: Guard
    ) -> None:
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base},
            http_client=GuardedHttpClient(guard, timeout=timeouts),
            # No retry: one attempt (connect + read timeout) is all the time a worker may spend
            # waiting. A create that timed out may have been made; its session is never shown,
            # expires unpaid, and the shopper's next attempt is a new one.
            max_network_retries=0,
        )

    def create_session(self, request: SessionRequest) -> ProviderSession:
        params: dict[str, Any] = {
            "mode": request.mode,
            "line_items": [_line_item(line, request.currency) for line in request.lines],
            "client_reference_id": request.client_reference_id,
            "metadata": dict(request.metadata),
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": int(time.time()) + SESSION_LIFETIME_SECONDS,
        }
        if request.mode == "subscription":
            params["subscription_data"] = {"metadata": dict(request.metadata)}
        else:
            params["payment_intent_data"] = {"metadata": dict(request.metadata)}
        try:
            if request.discount > 0:
                coupon = self._client.v1.coupons.create(
                    params={
                        "amount_off": to_cents(request.discount),
                        "currency": request.currency,
                        "duration": "once",
                        "max_redemptions": 1,
                        "name": request.discount_name or "Promotion",
                    },
                    options={"idempotency_key": f"{request.idempotency_key}:coupon"},
                )
                params["discounts"] = [{"coupon": coupon.id}]
            session = self._client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        except stripe.StripeError as error:
            raise PaymentError(_describe(error)) from error
        return _session(session)

    def retrieve_session(self, session_id: str) -> ProviderSession:
        try:
            return _session(self._client.v1.checkout.sessions.retrieve(session_id))
        except stripe.StripeError as error:
            raise PaymentError(_describe(error)) from error

    def expire_session(self, session_id: str) -> ProviderSession | None:
        """Expire an open session so it can no longer be paid; None if it is not open."""
        try:
            return _session(self._client.v1.checkout.sessions.expire(session_id))
        except stripe.InvalidRequestError:
            return None  # already complete or expired
        except stripe.StripeError as error:
            raise PaymentError(_describe(error)) from error

    def refund(self, payment_reference: str, amount: Decimal, idempotency_key: str) -> str:
        """Refund through the Refunds API; a subscription's first invoice names its payment."""
        try:
            refund = self._client.v1.refunds.create(
                params={
                    "payment_intent": self._payment_intent_of(payment_reference),
                    "amount": to_cents(amount),
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise PaymentError(_describe(error)) from error
        return refund.id

    def _payment_intent_of(self, payment_reference: str) -> str:
        if not payment_reference.startswith("in_"):
            return payment_reference
        # Since API 2025-03 an invoice names its PaymentIntent through its invoice payments.
        payments = self._client.v1.invoice_payments.list(
            params={"invoice": payment_reference, "limit": 10}
        ).data
        for payment in payments:
            intent = _id((payment.to_dict().get("payment") or {}).get("payment_intent"))
            if payment.status == "paid" and intent:
                return intent
        raise PaymentError(f"Invoice {payment_reference} has no paid payment to refund.")

    def cancel_subscription(self, subscription_id: str) -> None:
        """Cancel now (no proration); one Stripe reports as already cancelled or unknown is done."""
        try:
            self._client.v1.subscriptions.cancel(subscription_id)
        except stripe.InvalidRequestError:
            return  # already cancelled (or never existed): retrying cannot change that
        except stripe.StripeError as error:
            raise PaymentError(_describe(error)) from error

    def set_renewal(self, subscription_id: str, auto_renew: bool) -> None:
        try:
            self._client.v1.subscriptions.update(
                subscription_id, params={"cancel_at_period_end": not auto_renew}
            )
        except stripe.StripeError as error:
            raise PaymentError(_describe(error)) from error

    def remove_subscription_item(
        self, subscription_id: str, add_on_id: str, *, cancel_if_last: bool
    ) -> None:
        """Delete the add-on's item (no proration); its last item ends the subscription instead.

        Safe to repeat: an item already gone, or a subscription cancelled or unknown, is done.
        A delete Stripe refuses (the item went meanwhile, or it became the last one) is looked
        at again once.
        """
        try:
            for _ in range(2):
                try:
                    subscription = self._client.v1.subscriptions.retrieve(subscription_id)
                except stripe.InvalidRequestError:
                    return  # never existed (or was deleted): nothing is charged
                if subscription.status in ("canceled", "incomplete_expired"):
                    return
                items = self._client.v1.subscription_items.list(
                    params={
                        "subscription": subscription_id,
                        "limit": 100,
                        "expand": ["data.price.product"],
                    }
                ).data
                marks = [_item_add_on_id(item) for item in items]
                mine = [item for item, mark in zip(items, marks, strict=True) if mark == add_on_id]
                if not mine:
                    if None in marks:
                        # Bought before items carried add-on ids: guessing could stop the
                        # wrong add-on. Kept pending (with this error) for a person to settle.
                        raise PaymentError(
                            f"Subscription {subscription_id} has items without an add_on_id; "
                            f"remove the item of add-on {add_on_id} by hand."
                        )
                    return  # already removed
                if len(mine) == len(items):
                    if cancel_if_last:
                        self.cancel_subscription(subscription_id)
                    else:
                        self.set_renewal(subscription_id, False)
                    return
                try:
                    for item in mine:
                        self._client.v1.subscription_items.delete(
                            item.id, params={"proration_behavior": "none"}
                        )
                    return
                except stripe.InvalidRequestError:
                    continue  # deleted meanwhile, or now the last item: look again
        except stripe.StripeError as error:
            raise PaymentError(_describe(error)) from error
        raise PaymentError(f"Stripe refused to remove add-on {add_on_id}'s subscription item.")


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
        return SessionClosed(event_id, kind, session_id, reason, purchase_ids, user_id)
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
    )


def _invoice_event(event_id: str, kind: str, obj: dict[str, Any]) -> PaymentEvent:
    # API versions before 2025-03 name the subscription on the invoice; later ones under parent.
    parent = obj.get("parent") if isinstance(obj.get("parent"), dict) else {}
    details = parent.get("subscription_details")
    subscription = _ref(obj, "subscription") or (
        _ref(details, "subscription") if isinstance(details, dict) else None
    )
    if subscription is None or obj.get("billing_reason") == "subscription_create":
        return Ignored(event_id, kind)  # the first invoice is the checkout itself
    lines = obj.get("lines")
    ends = []
    for line in (lines.get("data") if isinstance(lines, dict) else None) or []:
        period = line.get("period") if isinstance(line, dict) else None
        if isinstance(period, dict) and period.get("end") is not None:
            ends.append(_timestamp(period, "end"))
    return RenewalPaid(event_id, kind, subscription, max(ends) if ends else None)


def _subscription_event(event_id: str, kind: str, obj: dict[str, Any]) -> PaymentEvent:
    return SubscriptionEnded(event_id, kind, _text(obj, "id"))


def _refund_event(event_id: str, kind: str, obj: dict[str, Any]) -> PaymentEvent:
    references = tuple(r for r in (_ref(obj, "payment_intent"), _ref(obj, "invoice")) if r)
    cents = obj.get("amount_refunded")
    if isinstance(cents, bool) or not isinstance(cents, int) or not 0 <= cents <= MAX_CENTS:
        raise MalformedEvent(f"{kind}: amount_refunded must be a whole number of cents")
    return PaymentRefunded(event_id, kind, references, Decimal(cents) / 100)


_PARSERS = {
    "checkout.session.completed": _session_event,
    "checkout.session.async_payment_succeeded": _session_event,
    "checkout.session.async_payment_failed": _session_event,
    "checkout.session.expired": _session_event,
    "invoice.paid": _invoice_event,
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


def _timestamp(obj: dict[str, Any], key: str) -> datetime:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < MAX_TIMESTAMP:
        raise MalformedEvent(f"{key} must be a Unix timestamp")
    return datetime.fromtimestamp(value, UTC)


def _line_item(line, currency: str) -> dict[str, Any]:
    product_data: dict[str, Any] = {"name": line.name}
    if line.add_on_id is not None:
        product_data["metadata"] = {"add_on_id": line.add_on_id}
    price_data: dict[str, Any] = {
        "currency": currency,
        "unit_amount": to_cents(line.unit_amount),
        "product_data": product_data,
    }
    if line.interval is not None:
        price_data["recurring"] = {"interval": line.interval}
    return {"price_data": price_data, "quantity": line.quantity}


def _item_add_on_id(item: Any) -> str | None:
    """The add-on an (expanded) subscription item charges for, from its product's metadata."""
    product = ((item.to_dict().get("price") or {}).get("product")) or {}
    if not isinstance(product, dict):
        return None  # not expanded
    return (product.get("metadata") or {}).get("add_on_id")


def _session(session: Any) -> ProviderSession:
    data = session.to_dict()
    return ProviderSession(
        id=data["id"],
        url=data.get("url"),
        status=data.get("status") or "open",
        payment_status=data.get("payment_status") or "unpaid",
        payment_reference=payment_reference(data),
        subscription_id=_id(data.get("subscription")),
        client_reference_id=data.get("client_reference_id"),
        metadata=dict(data.get("metadata") or {}),
    )


def payment_reference(session: dict[str, Any]) -> str | None:
    """The id a refund will name: the PaymentIntent, else (subscriptions) the first invoice."""
    return _ref(session, "payment_intent") or _ref(session, "invoice")


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def _describe(error: Exception) -> str:
    if isinstance(error, stripe.APIConnectionError):
        return "Stripe could not be reached (network error or timeout)."
    return f"Stripe refused the request: {getattr(error, 'user_message', None) or error}"


class GuardedHttpClient(stripe.RequestsClient):
    """stripe-python's HTTP client with every request let through, or refused at once, by the
    server's slots and circuit breaker (`marketplace/payments/breaker.py`)."""

    def __init__(self, guard: Guard, *, timeout: tuple[float, float]) -> None:
        super().__init__(timeout=timeout)  # (connect, read) seconds, passed on to requests
        self._guard = guard

    def request(self, method, url, headers, post_data=None):
        try:
            with self._guard.call():
                return super().request(method, url, headers, post_data)
        except Refused as refused:
            raise stripe.APIConnectionError(
                f"Stripe was not called: {refused}", should_retry=False
            ) from refused
