"""The analytics page's range picker (a GET form: no CSRF token)."""

from __future__ import annotations

from datetime import date

from wtforms import DateField, Form, SelectField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import Optional

from marketplace.admin.forms import query_args, within_dates
from marketplace.analytics.periods import Bucket, Preset, Range, custom_range, preset_range

PARAMS = ("range", "start", "end", "by")


def range_problem(preset: str, start: date | None, end: date | None) -> str | None:
    """Why `start` and `end` make no custom range (when `preset` is custom), or None; the page
    and the API both ask."""
    if preset != Preset.CUSTOM:
        return None
    if start is None or end is None:
        return "A custom range needs both a start and an end date."
    try:
        custom_range(start, end)
    except ValueError as error:
        return str(error)
    return None


def period_of(preset: str, start: date | None, end: date | None, today: date) -> Range:
    """The range asked for (after `range_problem` found none)."""
    if preset == Preset.CUSTOM:
        assert start is not None and end is not None
        return custom_range(start, end)
    return preset_range(Preset(preset), today)


class AnalyticsQuery(Form):
    """`?range=30d|90d|12m|custom&start=&end=&by=day|week|month`."""

    range = SelectField(
        "Range",
        choices=[SelectChoice(p.value, p.label) for p in Preset],
        default=Preset.DAYS_30.value,
    )
    start = DateField("From", validators=[Optional(), within_dates])
    end = DateField("To", validators=[Optional(), within_dates])
    by = SelectField(
        "Chart by",
        choices=[
            SelectChoice("", "Automatic"),
            *(SelectChoice(b.value, b.value.title()) for b in Bucket),
        ],
        default="",
    )

    def validate(self, extra_validators=None) -> bool:
        """The fields, then (when each date is fine) whether they make a custom range."""
        if not super().validate(extra_validators):
            return False
        problem = range_problem(self.range.data or "", self.start.data, self.end.data)
        if problem:
            self.range.errors = [problem]
            return False
        return True

    def period(self, today: date) -> Range:
        """The range asked for (after `validate`)."""
        return period_of(self.range.data or "", self.start.data, self.end.data, today)

    def bucket(self, period: Range) -> Bucket:
        return Bucket(self.by.data) if self.by.data else period.default_bucket()

    def args(self) -> dict[str, str]:
        """The picker's state as query parameters (for CSV and JSON links)."""
        return query_args(self, PARAMS)
