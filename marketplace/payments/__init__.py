"""Payment providers: what checkout asks of one, and which one this app uses.

Amounts cross this interface as Decimal dollars; a provider converts them to its own units
(Stripe: integer cents) and nothing else does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from marketplace.payments.events import PaymentEvent


class PaymentError(Exception):
    """The provider could not be reached, timed out or refused the request."""


class InvalidSignature(Exception):
    """A webhook whose signature is missing or does not match the secret."""


class PaymentsUnavailable(Exception):
    """No provider may be used here (production mode without Stripe keys)."""


@dataclass(frozen=True)
class LineItem:
    """One line to charge: a net unit amount (after tier and bundle discounts) × quantity.

    `interval` is "month" or "year" for a recurring line, None for a one-time charge.
    `add_on_id` goes into the provider's product metadata, so a subscription item that several
    add-ons share a subscription with can be told apart (and removed) later.
    """

    name: str
    unit_amount: Decimal
    quantity: int
    interval: str | None
    add_on_id: str | None = None


@dataclass(frozen=True)
class SessionRequest:
    """A hosted checkout to open; `discount` comes off the first payment only."""

    mode: str  # "subscription" when any line recurs, else "payment"
    lines: tuple[LineItem, ...]
    discount: Decimal
    discount_name: str | None
    client_reference_id: str
    metadata: Mapping[str, str]
    success_url: str
    cancel_url: str
    idempotency_key: str
    currency: str = "usd"


@dataclass(frozen=True)
class ProviderSession:
    """A checkout session as the provider reports it."""

    id: str
    url: str | None
    status: str  # open, complete, expired
    payment_status: str  # paid, unpaid, no_payment_required
    payment_reference: str | None = None
    subscription_id: str | None = None
    client_reference_id: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    # With automatic tax: the tax the provider computed and the total it charged, else None.
    amount_tax: Decimal | None = None
    amount_total: Decimal | None = None

    @property
    def is_paid(self) -> bool:
        return self.status == "complete" and self.payment_status in ("paid", "no_payment_required")


class PaymentProvider(Protocol):
    """What checkout, fulfilment and the outbox ask of a payment provider.

    Every method raises `PaymentError` when the provider cannot be reached or refuses.
    """

    name: str

    def create_session(self, request: SessionRequest) -> ProviderSession:
        """Open a hosted checkout; the same `idempotency_key` returns the same session."""
        ...

    def retrieve_session(self, session_id: str) -> ProviderSession:
        """The session as the provider sees it now (open, complete or expired; paid or not)."""
        ...

    def expire_session(self, session_id: str) -> ProviderSession | None:
        """Close an open session so it can no longer be paid.

        Returns the expired session, or None when it was no longer open: it completed (paid,
        or paid meanwhile) or had expired already. Checkout releases a session only on an
        expired one; on None it asks `retrieve_session` which of the two it was.
        """
        ...

    def refund(self, payment_reference: str, amount: Decimal, idempotency_key: str) -> str:
        """Give `amount` of the payment `payment_reference` back; return the refund's id.

        The same `idempotency_key` never refunds twice.
        """
        ...

    def cancel_subscription(self, subscription_id: str) -> None:
        """End the subscription now; one already ended or unknown to the provider is done."""
        ...

    def set_renewal(self, subscription_id: str, auto_renew: bool) -> None:
        """Renew at the period's end, or not (the subscription runs out then)."""
        ...

    def remove_subscription_item(
        self, subscription_id: str, add_on_id: str, *, cancel_if_last: bool
    ) -> None:
        """Stop charging for one add-on of a shared subscription from the next period on.

        Its item goes without proration. When it is the subscription's only item left, the
        subscription is cancelled now (`cancel_if_last`) or runs out at the period's end.
        An item already gone, or a subscription ended or unknown to the provider, is done.
        """
        ...


def provider_for(
    config: Mapping[str, Any], test_payment_url: Callable[[str], str]
) -> PaymentProvider:
    """Return Stripe when a secret key is set, else the offline provider (never in production)."""
    if config.get("STRIPE_SECRET_KEY"):
        from marketplace.payments.breaker import stripe_guard
        from marketplace.payments.stripe_provider import StripeProvider

        return StripeProvider(
            config["STRIPE_SECRET_KEY"],
            api_base=config["STRIPE_API_BASE"],
            timeouts=(
                config["STRIPE_CONNECT_TIMEOUT_SECONDS"],
                config["STRIPE_READ_TIMEOUT_SECONDS"],
            ),
            guard=stripe_guard(config),
            automatic_tax=config["STRIPE_AUTOMATIC_TAX"],
        )
    if not offline_allowed(config):
        raise PaymentsUnavailable("Payments are not configured.")
    from marketplace.payments.offline import OfflineProvider

    return OfflineProvider(test_payment_url)


def offline_allowed(config: Mapping[str, Any]) -> bool:
    """The offline test provider runs only without a Stripe key and outside production mode."""
    return not config.get("STRIPE_SECRET_KEY") and config.get("MARKETPLACE_ENV") != "production"


def verify_webhook(payload: bytes, signature: str | None, secret: str | None) -> PaymentEvent:
    """Check a Stripe webhook's signature on the raw body; return it as a typed event.

    Raises `InvalidSignature` or `events.MalformedEvent`.
    """
    from marketplace.payments.stripe_events import verify_event

    return verify_event(payload, signature, secret)
