"""Why a checkout cannot go ahead: each error carries the shopper's message and its status."""

from __future__ import annotations

from marketplace.refusals import Refusal


class CheckoutError(Refusal):
    """A checkout that cannot go ahead."""

    status = 409


class NotFound(CheckoutError):
    status = 404


class ProviderFailed(CheckoutError):
    status = 502


PROVIDER_UNREACHABLE = (
    "We couldn't reach the payment provider, so nothing was charged and your cart is as it was. "
    "Please try again in a moment."
)
