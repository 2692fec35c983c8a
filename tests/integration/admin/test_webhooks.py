"""Webhook endpoints in the admin area: create (secret shown once), edit with a concurrency
check, reveal and rotate the secret, the delivery log with "Resend", delete; each audited;
support staff refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.admin.webhooks import service
from marketplace.models import AdminAuditEntry, BillingOutboxEntry, WebhookEndpoint
from tests.fixtures.webhook_receiver import WebhookReceiver
from tests.integration.events.steps import buy, run_outbox

INDEX = "/admin/webhooks/"
EVERY_TYPE = [
    "purchase.completed",
    "purchase.refunded",
    "subscription.activated",
    "subscription.cancelled",
    "subscription.expired",
    "entitlements.updated",
]


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def endpoint(admin_client, session, receiver) -> WebhookEndpoint:
    """An endpoint the admin created for entitlement updates, posting to `receiver`."""
    created = admin_client.post(
        INDEX + "new", data={"url": receiver.url, "event_types": ["entitlements.updated"],
                             "is_active": "y", "description": "Feature service"},
    )  # fmt: skip
    assert created.status_code == 201
    return session.scalars(select(WebhookEndpoint)).one()


def audit(session, action: str) -> list[AdminAuditEntry]:
    return list(session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.action == action)))


def secret_on(html: str) -> str:
    return re.search(r'id="endpoint-secret"[^>]*value="([^"]+)"', html).group(1)


def test_creating_an_endpoint_shows_its_secret_once_and_audits_without_it(
    admin_client, session, endpoint
):
    [row] = audit(session, "webhook_endpoint.create")
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) == 49
    assert row.after == {
        "url": endpoint.url,
        "description": "Feature service",
        "event_types": ["entitlements.updated"],
        "is_active": True,
        "secret": "made",
    }
    assert endpoint.secret not in str(row.after)
    page = admin_client.get(f"{INDEX}{endpoint.id}")
    assert endpoint.secret not in page.text and "Reveal secret" in page.text
    listing = admin_client.get(INDEX)
    assert endpoint.url in listing.text and "entitlements.updated" in listing.text


def test_the_first_answer_holds_the_secret(admin_client, session, receiver):
    created = admin_client.post(
        INDEX + "new", data={"url": receiver.url, "event_types": EVERY_TYPE, "is_active": "y"}
    )
    stored = session.scalars(select(WebhookEndpoint)).one()
    assert secret_on(created.text) == stored.secret
    assert stored.event_types == EVERY_TYPE


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "Enter an http:// or https:// URL"),
        ("https://", "Enter an http:// or https:// URL"),
        ("https://user:pw@example.com/", "Leave credentials out of the URL"),
        ("https://example.com:99999/", "Enter a URL such as"),
        ("", "Enter the URL events are posted to."),
    ],
)
def test_a_bad_url_is_refused_with_a_reason(admin_client, session, url, message):
    response = admin_client.post(INDEX + "new", data={"url": url, "event_types": EVERY_TYPE})
    assert response.status_code == 422
    assert message in response.text
    assert session.scalars(select(WebhookEndpoint)).all() == []


def test_no_event_type_or_an_unknown_one_is_refused(admin_client, receiver):
    none = admin_client.post(INDEX + "new", data={"url": receiver.url})
    unknown = admin_client.post(INDEX + "new", data={"url": receiver.url, "event_types": ["x.y"]})
    assert none.status_code == 422 and "Choose at least one event type." in none.text
    assert unknown.status_code == 422


def test_editing_is_audited_and_a_stale_form_is_a_409(admin_client, session, endpoint):
    token = service.edit_token(endpoint)
    form = {"url": endpoint.url, "event_types": EVERY_TYPE, "token": token}

    saved = admin_client.post(f"{INDEX}{endpoint.id}", data=form)
    stale = admin_client.post(f"{INDEX}{endpoint.id}", data={**form, "description": "late"})

    assert saved.status_code == 303
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    session.expire_all()
    changed = session.get(WebhookEndpoint, endpoint.id)
    assert (changed.event_types, changed.is_active, changed.description) == (
        EVERY_TYPE,
        False,
        None,
    )
    [row] = audit(session, "webhook_endpoint.update")
    assert row.before == {
        "event_types": ["entitlements.updated"], "is_active": True,
        "description": "Feature service",
    }  # fmt: skip


def test_revealing_and_rotating_the_secret_are_audited(admin_client, session, endpoint):
    old = endpoint.secret
    revealed = admin_client.post(f"{INDEX}{endpoint.id}/secret")
    confirm = admin_client.get(f"{INDEX}{endpoint.id}/rotate")
    rotated = admin_client.post(f"{INDEX}{endpoint.id}/rotate")

    assert secret_on(revealed.text) == old
    assert "Yes, rotate the secret of" in confirm.text
    session.expire_all()
    new = session.get(WebhookEndpoint, endpoint.id).secret
    assert new != old and secret_on(rotated.text) == new
    assert len(audit(session, "webhook_endpoint.reveal_secret")) == 1
    [row] = audit(session, "webhook_endpoint.rotate_secret")
    assert row.after == {"secret": "replaced"}


def test_the_delivery_log_shows_each_attempt_and_resend_sends_it_again(
    admin_client, client, session, catalog, endpoint, receiver
):
    receiver.answers.append(500)
    buy(client, session, "uma", catalog.tts)
    run_outbox()
    [event] = receiver.events()

    page = admin_client.get(f"{INDEX}{endpoint.id}")
    assert "answered 500 Internal Server Error" in page.text and "Failed" in page.text
    resend = f"{INDEX}{endpoint.id}/events/{event['id']}/resend"
    assert f'action="{resend}"' in page.text and f'hx-post="{resend}"' in page.text

    # buffered: the response is closed as a server closes it, so after-response delivery runs.
    response = admin_client.post(resend, buffered=True)

    assert response.status_code == 303
    assert [e["id"] for e in receiver.events()] == [event["id"], event["id"]]
    [row] = audit(session, "webhook_endpoint.resend")
    assert (row.object_id, row.after["event_id"]) == (str(endpoint.id), event["id"])
    log = admin_client.get(f"{INDEX}{endpoint.id}/deliveries", headers={"HX-Request": "true"})
    assert "<html" not in log.text
    assert log.text.count("Delivered") == 1 and log.text.count("answered 500") == 1
    assert admin_client.get(f"{INDEX}{endpoint.id}/deliveries?after=nope").status_code == 400
    # Delivered now: a resend queues a new entry for the same event.
    admin_client.post(resend, buffered=True)
    assert [e["id"] for e in receiver.events()] == [event["id"]] * 3
    assert len(audit(session, "webhook_endpoint.resend")) == 2


def test_deleting_asks_first_then_drops_what_was_owed(
    admin_client, client, session, catalog, endpoint
):
    buy(client, session, "uma", catalog.tts)

    confirm = admin_client.get(f"{INDEX}{endpoint.id}/delete")
    deleted = admin_client.post(f"{INDEX}{endpoint.id}/delete", follow_redirects=True)

    assert "Yes, delete" in confirm.text
    assert "1 undelivered events were dropped" in deleted.text
    assert session.scalars(select(WebhookEndpoint)).all() == []
    entry = session.scalars(
        select(BillingOutboxEntry).where(BillingOutboxEntry.kind == "webhook.deliver")
    ).one()
    assert (entry.status, entry.last_error) == ("failed", "The endpoint was deleted.")
    [row] = audit(session, "webhook_endpoint.delete")
    assert row.after == {"undelivered_dropped": 1}
    assert admin_client.get(f"{INDEX}{endpoint.id}").status_code == 404


def test_support_staff_may_not_open_or_change_webhooks(support_client, session, endpoint):
    assert support_client.get(INDEX).status_code == 403
    assert support_client.get(f"{INDEX}{endpoint.id}").status_code == 403
    assert support_client.post(f"{INDEX}{endpoint.id}/secret").status_code == 403
    assert support_client.post(f"{INDEX}{endpoint.id}/rotate").status_code == 403
    assert audit(session, "webhook_endpoint.reveal_secret") == []


def test_shoppers_may_not_open_webhooks(shopper_client):
    assert shopper_client.get(INDEX).status_code in (403, 404)
