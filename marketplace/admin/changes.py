"""What every admin service shares: its refusals, and the concurrent-edit token of a form."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any


class Refused(Exception):
    """A change the admin can read about: the message, and the field it concerns if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(Refused):
    """The object changed since the form was loaded."""


class NotFound(Refused):
    """No such object."""


def edit_token(updated_at: datetime, snapshot: dict[str, Any]) -> str:
    """What an edit form carries to detect a concurrent change: `updated_at` and a digest of
    the fields (two saves in one transaction share `updated_at`, the fields still differ)."""
    body = json.dumps([updated_at.isoformat(), snapshot], sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()
