"""The analytics page's range picker (a GET form: no CSRF token)."""

from __future__ import annotations

from datetime import date

from wtforms import DateField, Form, SelectField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import Optional

from marketplace.admin.forms import query_args, within_dates
from marketplace.analytics.periods import Bucket, Preset, Range, custom_range, preset_range

PARAMS = ("range", "start", "end", "by")


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
        if self.range.data != Preset.CUSTOM:
            return True
        if self.start.data is None or self.end.data is None:
            self.range.errors = ["A custom range needs both a start and an end date."]
            return False
        try:
            custom_range(self.start.data, self.end.data)
        except ValueError as error:
            self.range.errors = [str(error)]
            return False
        return True

    def period(self, today: date) -> Range:
        """The range asked for (after `validate`)."""
        preset = Preset(self.range.data)
        if preset is Preset.CUSTOM:
            assert self.start.data is not None and self.end.data is not None
            return custom_range(self.start.data, self.end.data)
        return preset_range(preset, today)

    def bucket(self, period: Range) -> Bucket:
        return Bucket(self.by.data) if self.by.data else period.default_bucket()

    def args(self) -> dict[str, str]:
        """The picker's state as query parameters (for CSV and JSON links)."""
        return query_args(self, PARAMS)
