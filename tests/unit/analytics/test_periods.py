"""The analytics page's date ranges: presets, custom ranges, previous periods, buckets."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.analytics.periods import (
    Bucket,
    Preset,
    Range,
    buckets,
    custom_range,
    preset_range,
)

TODAY = date(2026, 11, 26)


def test_presets_end_today():
    assert preset_range(Preset.DAYS_30, TODAY) == Range(date(2026, 10, 28), TODAY)
    assert preset_range(Preset.DAYS_90, TODAY).days == 90
    assert preset_range(Preset.MONTHS_12, TODAY) == Range(date(2025, 11, 27), TODAY)


def test_the_previous_period_has_the_same_length_and_ends_the_day_before():
    february = Range(date(2026, 2, 1), date(2026, 2, 28))
    assert february.previous() == Range(date(2026, 1, 4), date(2026, 1, 31))
    assert february.last_days(30) == Range(date(2026, 1, 30), date(2026, 2, 28))


def test_default_buckets_by_length():
    assert Range(date(2026, 1, 1), date(2026, 1, 31)).default_bucket() is Bucket.DAY
    assert Range(date(2026, 1, 1), date(2026, 3, 31)).default_bucket() is Bucket.WEEK
    assert Range(date(2026, 1, 1), date(2026, 4, 30)).default_bucket() is Bucket.MONTH


def test_buckets_start_on_mondays_and_first_days():
    period = Range(date(2026, 11, 4), date(2026, 11, 18))  # Wednesday to Wednesday
    mondays = [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    assert buckets(period, Bucket.WEEK) == mondays
    assert buckets(period, Bucket.MONTH) == [date(2026, 11, 1)]
    assert len(buckets(period, Bucket.DAY)) == 15


def test_custom_ranges_are_checked():
    assert custom_range(date(2026, 2, 1), date(2026, 2, 1)).days == 1
    with pytest.raises(ValueError, match="ends before it starts"):
        custom_range(date(2026, 2, 2), date(2026, 2, 1))
    with pytest.raises(ValueError, match="three years"):
        custom_range(date(2020, 1, 1), date(2026, 1, 1))
