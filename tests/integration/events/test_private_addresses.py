"""In production (WEBHOOK_ALLOW_PRIVATE_URLS off) events go to public addresses only, checked
again as each delivery connects: a host that was public when the endpoint was saved may resolve
to a private address later (DNS rebinding)."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import select

from marketplace.models import BillingOutboxEntry, WebhookDelivery
from tests.integration.events.conftest import endpoint_for
from tests.integration.events.steps import buy, run_outbox

HOST = "hooks.example.com"
PUBLIC = "93.184.215.14"
ADMIN = {"Authorization": "Bearer dev:admin:ops-1"}


@pytest.fixture
def app_overrides(app_overrides) -> dict:
    return {**app_overrides, "WEBHOOK_ALLOW_PRIVATE_URLS": False}


def resolve_host_to(monkeypatch, address: str) -> None:
    """Make HOST resolve to `address` (other names resolve as ever)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        return real(address if host == HOST else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def refused_log(session) -> list[tuple]:
    rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    return [(row.delivered, row.response_code, row.error) for row in rows]


def webhook_entries(session) -> list[tuple]:
    session.expire_all()
    rows = session.scalars(
        select(BillingOutboxEntry).where(BillingOutboxEntry.kind == "webhook.deliver")
    ).all()
    return sorted((row.status, row.attempts) for row in rows)


def test_a_private_address_is_not_sent_to_and_given_up_at_once(client, session, catalog, receiver):
    # Saved where the rule was off (or before its host moved): it points at 127.0.0.1.
    endpoint_for(session, receiver, types=["purchase.completed", "entitlements.updated"])
    buy(client, session, "uma", catalog.tts)

    report = run_outbox()

    assert receiver.arrivals == 0
    assert (report.events_delivered, report.events_failed, report.given_up) == (0, 2, 2)
    [(delivered, code, error), second] = refused_log(session)
    assert (delivered, code) == (False, None) and second == (delivered, code, error)
    assert error == (
        "not sent: “127.0.0.1” is a private, loopback or link-local address (127.0.0.1): "
        "events are sent only to public addresses."
    )
    # No retries: a later run would be refused alike.
    assert webhook_entries(session) == [("failed", 1), ("failed", 1)]


def test_a_host_that_resolves_privately_by_delivery_time_gets_nothing(
    client, session, catalog, receiver, monkeypatch
):
    port = receiver.url.split(":")[2].split("/")[0]
    url = f"http://{HOST}:{port}/hooks"
    resolve_host_to(monkeypatch, PUBLIC)
    created = client.post(
        "/api/v1/admin/webhook-endpoints",
        json={"url": url, "event_types": ["purchase.completed"]},
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text

    resolve_host_to(monkeypatch, "127.0.0.1")  # the receiver's address: rebinding
    buy(client, session, "uma", catalog.tts)
    run_outbox()

    assert receiver.arrivals == 0
    [(delivered, _, error)] = refused_log(session)
    assert not delivered and error.startswith(f"not sent: “{HOST}” is a private")
    assert webhook_entries(session) == [("failed", 1)]
