"""A request a service refuses: the message is for the shopper, the status for HTTP.

Services raise a subclass per area (cart, checkout); routes show `message` and answer `status`.
"""

from __future__ import annotations


class Refusal(Exception):
    """Something the shopper asked for that cannot be done, and why, in their words."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
