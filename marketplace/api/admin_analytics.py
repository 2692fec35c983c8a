"""The analytics summary over the API: the very figures of `/admin/analytics.json`, from the same
report builder and the same JSON shape (marketplace/admin/analytics)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from marketplace.account.forms import DATE_RANGE_MESSAGE, EARLIEST_DATE, LATEST_DATE
from marketplace.admin.analytics.forms import period_of, range_problem
from marketplace.admin.analytics.report import build
from marketplace.admin.analytics.tables import report_json
from marketplace.analytics.periods import Bucket, Preset
from marketplace.api.admin_common import admin_blueprint
from marketplace.api.operations import documented
from marketplace.api.schemas import Strict
from marketplace.extensions import db
from marketplace.models.base import utcnow

blp = admin_blueprint("analytics", "Revenue and usage analytics (read).")


def _plausible(day: Any) -> None:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(DATE_RANGE_MESSAGE)


class AnalyticsArgs(Strict):
    range = fields.String(
        load_default=Preset.DAYS_30.value, validate=validate.OneOf([p.value for p in Preset])
    )
    start = fields.Date(load_default=None, validate=_plausible, metadata={"description": "custom"})
    end = fields.Date(load_default=None, validate=_plausible, metadata={"description": "custom"})
    by = fields.String(
        load_default=None,
        validate=validate.OneOf([b.value for b in Bucket]),
        metadata={"description": "The series' bucket; default: the range's"},
    )

    @validates_schema(skip_on_field_errors=True)
    def check_range(self, data: dict[str, Any], **kwargs: Any) -> None:
        problem = range_problem(data["range"], data["start"], data["end"])
        if problem:
            raise ValidationError(problem, "range")


class FigureSchema(Strict):
    label = fields.String(required=True)
    value = fields.Raw(required=True, metadata={"description": "A decimal string or a count"})
    previous = fields.Raw(required=True)


class TableSchema(Strict):
    title = fields.String(required=True)
    columns = fields.List(fields.String(), required=True)
    rows = fields.List(fields.List(fields.Raw()), required=True)


class RangeSchema(Strict):
    start = fields.String(required=True, metadata={"example": "2026-10-28"})
    end = fields.String(required=True, metadata={"example": "2026-11-26"})


class ExpiringSchema(Strict):
    count = fields.Integer(required=True)
    mrr = fields.String(required=True)


class AnalyticsSchema(Strict):
    range = fields.Nested(RangeSchema, required=True)
    previous = fields.Nested(RangeSchema, required=True)
    bucket = fields.String(required=True)
    as_of = fields.String(required=True, allow_none=True)
    currency = fields.String(required=True)
    kpis = fields.Dict(keys=fields.String(), values=fields.Nested(FigureSchema), required=True)
    expiring = fields.Nested(ExpiringSchema, required=True)
    tables = fields.Dict(keys=fields.String(), values=fields.Nested(TableSchema), required=True)


@blp.get("/admin/analytics")
@blp.arguments(AnalyticsArgs, location="query")
@blp.response(200, AnalyticsSchema)
@documented(blp, security="staff", errors=(422,))
def analytics_summary(args: dict[str, Any]):
    """MRR, ARR, ARPU, churn, revenue, promo and bundle performance and the funnel for a range
    (30d, 90d, 12m or custom `start`–`end`), with the period before: the admin page's figures."""
    now = utcnow()
    period = period_of(args["range"], args["start"], args["end"], now.date())
    bucket = Bucket(args["by"]) if args["by"] else period.default_bucket()
    report = build(db.session(), period, bucket, now)
    return report_json(report), 200, {"Cache-Control": "no-store"}
