"""Sign an event delivery, and check a signature as a receiver does (pure: bytes in, text out).

`Marketplace-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` — the
timestamp is signed with the body, so a captured delivery cannot be replayed later as new.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Marketplace-Signature"
EVENT_ID_HEADER = "Marketplace-Event-Id"
# A receiver refuses deliveries signed longer ago than this (replays).
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secret: str, timestamp: int, body: bytes) -> str:
    """The `Marketplace-Signature` header value for `body` sent at `timestamp`."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, value: str, body: bytes, now: int) -> bool:
    """Whether header `value` signs `body` with `secret`, within TOLERANCE_SECONDS of `now`."""
    parts = dict(part.split("=", 1) for part in value.split(",") if "=" in part)
    if not parts.get("t", "").isdigit() or abs(now - int(parts["t"])) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, int(parts["t"]), body), parts.get("v1", ""))
