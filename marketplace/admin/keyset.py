"""Keyset pages shared by the admin lists: a page of rows fetched one past its size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def split_page(rows: Sequence[T], size: int) -> tuple[list[T], T | None]:
    """The first `size` of `rows` (fetched with LIMIT size + 1), and the row the next page
    starts after: the page's last row when there is more, else None."""
    page = list(rows[:size])
    return page, (page[-1] if len(rows) > size else None)
