"""Opaque cursors: what a list needs to resume (a keyset position or an offset), wrapped so
clients pass it back without reading it, and a bad one is a 400 naming `cursor`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import TypeVar

from marketplace.api.problems import refuse

T = TypeVar("T")
VERSION = "v1:"


def encode(position: str) -> str:
    """The opaque cursor of a list position (`keyset.Cursor.token()`, or an offset)."""
    return base64.urlsafe_b64encode((VERSION + position).encode()).decode().rstrip("=")


def decode(cursor: str, parse: Callable[[str], T]) -> T:
    """The position a cursor carries, read by `parse` (ValueError: not one of this list's)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(VERSION):
            raise ValueError("not a cursor of this API")
        return parse(raw.removeprefix(VERSION))
    except (ValueError, ArithmeticError, binascii.Error, UnicodeDecodeError):
        refuse(
            400,
            message="The cursor is not one this list gave out.",
            errors={"cursor": ["Not a cursor of this list: start again without it."]},
        )


def offset(text: str) -> int:
    """An offset position: a whole number from 0 (ValueError otherwise)."""
    number = int(text)
    if number < 0 or str(number) != text:
        raise ValueError("an offset is a whole number from 0")
    return number
