"""Why a checkout cannot go ahead: each error carries the shopper's message and its status."""

from __future__ import annotations


class CheckoutError(Exception):
    """A checkout that cannot go ahead; `message` is for the shopper, `status` for HTTP."""

    status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CheckoutError):
    status = 404


class ProviderFailed(CheckoutError):
    status = 502


PROVIDER_UNREACHABLE = (
    "We couldn't reach the payment provider, so nothing was charged and your cart is as it was. "
    "Please try again in a moment."
)
