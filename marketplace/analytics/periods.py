"""Date ranges of the analytics page: presets, custom ranges, the previous period, buckets.

Days are UTC calendar days; a range includes both its first and last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Preset(StrEnum):
    """The range picker's choices."""

    DAYS_30 = "30d"
    DAYS_90 = "90d"
    MONTHS_12 = "12m"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return {"30d": "30 days", "90d": "90 days", "12m": "12 months", "custom": "Custom"}[self]


class Bucket(StrEnum):
    """How a range is split for the charts (PostgreSQL's `date_trunc` unit)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


PRESET_DAYS = {Preset.DAYS_30: 30, Preset.DAYS_90: 90, Preset.MONTHS_12: 365}
LONGEST = timedelta(days=3 * 366)


@dataclass(frozen=True)
class Range:
    """From `start` to `end`, both days included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Range:
        """The period of the same length just before this one."""
        return Range(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def default_bucket(self) -> Bucket:
        """Days up to a month, weeks up to a quarter, else months."""
        if self.days <= 31:
            return Bucket.DAY
        return Bucket.WEEK if self.days <= 92 else Bucket.MONTH

    def last_days(self, days: int) -> Range:
        """The `days` ending with this range's last day."""
        return Range(self.end - timedelta(days=days - 1), self.end)


def preset_range(preset: Preset, today: date) -> Range:
    """The range a preset names, ending today."""
    return Range(today - timedelta(days=PRESET_DAYS[preset] - 1), today)


def custom_range(start: date, end: date) -> Range:
    """A range the user typed; ValueError with the reason when it is not one."""
    if end < start:
        raise ValueError("The range ends before it starts.")
    if end - start > LONGEST:
        raise ValueError("A range spans at most three years.")
    return Range(start, end)


def bucket_start(day: date, bucket: Bucket) -> date:
    """The first day of the bucket holding `day` (weeks start on Monday, as in PostgreSQL)."""
    if bucket is Bucket.WEEK:
        return day - timedelta(days=day.weekday())
    if bucket is Bucket.MONTH:
        return day.replace(day=1)
    return day


def buckets(period: Range, bucket: Bucket) -> list[date]:
    """Every bucket's first day that the range touches, in order (the first may be earlier)."""
    found: list[date] = []
    day = period.start
    while day <= period.end:
        first = bucket_start(day, bucket)
        if not found or found[-1] != first:
            found.append(first)
        day += timedelta(days=1)
    return found
