"""Webhook endpoint forms: the endpoint (URL, event types, active) and the log's pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, URLField

# types-WTForms 3.2 predates WTForms 3.3, where `SelectChoice` replaced choice tuples.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from marketplace.admin.forms import CheckboxListField, NoFormToken
from marketplace.admin.operations.forms import PagedQuery
from marketplace.admin.webhooks.service import MAX_URL, EndpointData, url_problem
from marketplace.events.emit import EVENT_TYPES
from marketplace.models import WebhookEndpoint


class EndpointForm(FlaskForm):
    """One endpoint: where events go, which, and whether it receives them now."""

    Meta = NoFormToken

    url = URLField(
        "URL",
        validators=[InputRequired("Enter the URL events are posted to."), Length(max=MAX_URL)],
        description="An http:// or https:// address that answers a POST with 2xx.",
    )
    description = StringField("Description", validators=[Optional(), Length(max=200)])
    event_types = CheckboxListField(
        "Event types",
        choices=[SelectChoice(kind, kind) for kind in EVENT_TYPES],
        default=list(EVENT_TYPES),
    )
    is_active = BooleanField("Active (events are sent)", default=True)
    token = HiddenField()

    def validate_url(self, field: URLField) -> None:
        problem = url_problem((field.data or "").strip())
        if problem:
            raise ValidationError(problem)

    def validate_event_types(self, field: CheckboxListField) -> None:
        if not field.data:
            raise ValidationError("Choose at least one event type.")

    def endpoint_data(self) -> EndpointData:
        return EndpointData(
            url=(self.url.data or "").strip(),
            event_types=tuple(self.event_types.data or ()),
            description=(self.description.data or "").strip() or None,
            is_active=bool(self.is_active.data),
        )


def endpoint_form_data(endpoint: WebhookEndpoint, token: str) -> dict[str, object]:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "is_active": endpoint.is_active,
        "token": token,
    }


class LogQuery(PagedQuery):
    """`?after=` of an endpoint's delivery log (ids are bigints)."""

    ROW_ID = int
