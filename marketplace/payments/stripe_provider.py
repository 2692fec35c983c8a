"""Stripe Checkout through stripe-python: the only module that imports `stripe`.

Money crosses into Stripe here and only here: Decimal dollars become integer cents.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import stripe

from marketplace.payments import (
    LineItem,
    PaymentError,
    ProviderSession,
    SessionRequest,
)
from marketplace.payments.breaker import Guard, Refused
from marketplace.payments.stripe_events import collected_tax, payment_reference

if TYPE_CHECKING:
    from stripe.params.checkout import (
        SessionCreateParams,
        SessionCreateParamsLineItem,
        SessionCreateParamsLineItemPriceData,
        SessionCreateParamsLineItemPriceDataProductData,
    )

# Stripe expires an unpaid Checkout Session after 24 hours unless told otherwise; the promo use
# it reserves should come back sooner (30 minutes is Stripe's minimum).
SESSION_LIFETIME_SECONDS = 30 * 60


def to_cents(amount: Decimal) -> int:
    """Decimal dollars → integer cents (amounts are already rounded to the cent)."""
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class StripeProvider:
    name = "stripe"

    def __init__(
        self,
        secret_key: str,
        *,
        api_base: str,
        timeouts: tuple[float, float],
        guard: Guard,
        automatic_tax: bool = False,
    ) -> None:
        # Stripe Tax computes the tax on top of the (tax-exclusive) prices; the session's
        # total_details.amount_tax says how much, and fulfilment stores it on the order.
        self._automatic_tax = automatic_tax
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
        params: SessionCreateParams = {
            "mode": request.mode,
            "line_items": [
                _line_item(line, request.currency, self._automatic_tax) for line in request.lines
            ],
            "client_reference_id": request.client_reference_id,
            "metadata": dict(request.metadata),
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": int(time.time()) + SESSION_LIFETIME_SECONDS,
        }
        if self._automatic_tax:
            params["automatic_tax"] = {"enabled": True}
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
                found = self._items_of(subscription_id, add_on_id)
                if found is None:
                    return  # the subscription ended, or the item is gone already
                mine, everything = found
                if len(mine) == len(everything):
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

    def _items_of(self, subscription_id: str, add_on_id: str) -> tuple[list, list] | None:
        """The add-on's items and all items of a live subscription; None when nothing is left
        to remove (the subscription is unknown or ended, or the add-on has no item on it)."""
        try:
            subscription = self._client.v1.subscriptions.retrieve(subscription_id)
        except stripe.InvalidRequestError:
            return None  # never existed (or was deleted): nothing is charged
        if subscription.status in ("canceled", "incomplete_expired"):
            return None
        items = self._client.v1.subscription_items.list(
            params={"subscription": subscription_id, "limit": 100, "expand": ["data.price.product"]}
        ).data
        marks = [_item_add_on_id(item) for item in items]
        mine = [item for item, mark in zip(items, marks, strict=True) if mark == add_on_id]
        if not mine and None in marks:
            # Bought before items carried add-on ids: guessing could stop the wrong add-on.
            # Kept pending (with this error) for a person to settle.
            raise PaymentError(
                f"Subscription {subscription_id} has items without an add_on_id; "
                f"remove the item of add-on {add_on_id} by hand."
            )
        return (mine, items) if mine else None


def _line_item(line: LineItem, currency: str, taxed: bool) -> SessionCreateParamsLineItem:
    product_data: SessionCreateParamsLineItemPriceDataProductData = {"name": line.name}
    if line.add_on_id is not None:
        product_data["metadata"] = {"add_on_id": line.add_on_id}
    price_data: SessionCreateParamsLineItemPriceData = {
        "currency": currency,
        "unit_amount": to_cents(line.unit_amount),
        "product_data": product_data,
    }
    if taxed:
        price_data["tax_behavior"] = "exclusive"  # the shop's prices are before tax
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
        **collected_tax(data),
    )


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

    # The signature of `RequestsClient.request`, which itself departs from its base
    # `HTTPClient.request` (no `_usage`, bytes): mypy holds this override to the base.
    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        try:
            with self._guard.call():
                return super().request(method, url, headers, post_data)
        except Refused as refused:
            raise stripe.APIConnectionError(
                f"Stripe was not called: {refused}", should_retry=False
            ) from refused
