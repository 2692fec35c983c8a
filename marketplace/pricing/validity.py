"""Time windows of rules, bundles and codes: timezone-aware, start inclusive, end exclusive."""

from datetime import datetime
from typing import Protocol


class Scheduled(Protocol):
    """Anything switched on and off by a flag and an optional window."""

    @property
    def is_active(self) -> bool: ...

    @property
    def valid_from(self) -> datetime | None: ...

    @property
    def valid_until(self) -> datetime | None: ...


def require_aware(value: datetime | None, name: str) -> None:
    """Raise ValueError when ``value`` is a naive datetime (None is allowed)."""
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def has_started(start: datetime | None, now: datetime) -> bool:
    """Tell whether a window opening at ``start`` (None = always open) is open at ``now``."""
    return start is None or start <= now


def has_ended(end: datetime | None, now: datetime) -> bool:
    """Tell whether a window closing at ``end`` (None = never) has closed at ``now``."""
    return end is not None and end <= now


def is_live(offer: Scheduled, now: datetime) -> bool:
    """Tell whether ``offer`` is active and inside its window at ``now``."""
    return (
        offer.is_active
        and has_started(offer.valid_from, now)
        and not has_ended(offer.valid_until, now)
    )
