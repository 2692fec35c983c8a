"""The admin API does what the admin pages do: the same analytics figures, a resend that is
delivered, subscription changes the shopper sees (with their audit rows and events), and a
secret rotation that signs the next delivery."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from marketplace.events import signing
from marketplace.models import AdminAuditEntry, BillingOutboxEntry, UserAddOn, WebhookEvent
from marketplace.vocabulary import Role
from tests.fixtures.identity import feature, subscribe
from tests.fixtures.shoppers import sign_in
from tests.fixtures.webhook_receiver import WebhookReceiver
from tests.integration.admin.analytics_history import make_history
from tests.integration.api.conftest import assert_problem, bearer
from tests.integration.events.conftest import endpoint_for
from tests.integration.events.steps import run_outbox

ADMIN = bearer("dev:admin:ops-1")
SUPPORT = bearer("dev:support:help-1")
ALICE = bearer("dev:shopper:alice")


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


def audit(session, object_id) -> list[tuple[str, dict | None]]:
    session.expire_all()
    rows = session.scalars(
        select(AdminAuditEntry)
        .where(AdminAuditEntry.object_id == str(object_id))
        .order_by(AdminAuditEntry.id)
    )
    return [(row.action, row.after) for row in rows]


def queued_events(session, user_id: str) -> list[str]:
    return list(
        session.scalars(
            select(WebhookEvent.type)
            .where(WebhookEvent.data["user_id"].astext == user_id)
            .order_by(WebhookEvent.seq)
        )
    )


@pytest.mark.parametrize(
    "query",
    [
        {"range": "custom", "start": "2026-02-01", "end": "2026-02-28", "by": "month"},
        {"range": "custom", "start": "2026-01-01", "end": "2026-01-31", "by": "day"},
        {"range": "90d"},
        {"range": "12m", "by": "month"},
    ],
)
def test_the_analytics_summary_is_the_admin_pages_json(app, client, session, query):
    make_history(session)
    page = sign_in(app.test_client(), "admin-ada", role=Role.ADMIN)

    html_json = page.get("/admin/analytics.json", query_string=query)
    api = client.get("/api/v1/admin/analytics", query_string=query, headers=SUPPORT)

    assert html_json.status_code == 200 and api.status_code == 200, api.text
    assert api.json == html_json.get_json()


def test_the_analytics_history_is_not_empty(client, session):
    make_history(session)
    query = {"range": "custom", "start": "2026-02-01", "end": "2026-02-28", "by": "month"}

    body = client.get("/api/v1/admin/analytics", query_string=query, headers=ADMIN).json

    assert body["kpis"]["mrr"]["value"] == "68.00"


def test_a_resent_event_is_queued_again_and_delivered(client, session, catalog, receiver):
    endpoint = endpoint_for(session, receiver, types=["entitlements.updated"])
    held = subscribe(session, "alice", catalog.tts)
    url = f"/api/v1/admin/subscriptions/{held.id}"
    tag = client.get(url, headers=ADMIN).headers["ETag"]
    client.post(f"{url}/suspend", json={}, headers={**ADMIN, "If-Match": tag})
    run_outbox()
    [event] = receiver.events()
    hooks = f"/api/v1/admin/webhook-endpoints/{endpoint.id}"

    resent = client.post(f"{hooks}/events/{event['id']}/resend", headers=ADMIN, buffered=True)

    assert resent.status_code == 202, resent.text
    # Delivered as the answer closed, the same event id: a receiver can deduplicate it.
    assert [e["id"] for e in receiver.events()] == [event["id"], event["id"]]
    session.expire_all()
    entry = session.get(BillingOutboxEntry, resent.json["outbox_entry_id"])
    assert (entry.status, entry.attempts) == ("delivered", 1)
    log = client.get(f"{hooks}/deliveries", headers=ADMIN).json["items"]
    assert [(d["event_id"], d["delivered"], d["response_code"]) for d in log] == [
        (event["id"], True, 200)
    ] * 2
    assert [action for action, _ in audit(session, endpoint.id)] == [
        "webhook_endpoint.create",
        "webhook_endpoint.resend",
    ]
    assert_problem(client.post(f"{hooks}/events/{event['id']}/resend", headers=SUPPORT), 403)


def test_extend_moves_the_end_the_shopper_holds(client, session, catalog, receiver):
    endpoint_for(session, receiver)
    held = subscribe(session, "alice", catalog.tts)
    url = f"/api/v1/admin/subscriptions/{held.id}"
    tag = client.get(url, headers=ADMIN).headers["ETag"]

    extended = client.post(
        f"{url}/extend",
        json={"expires_at": "2030-01-01T00:00:00Z", "reason": "Goodwill"},
        headers={**ADMIN, "If-Match": tag},
    )

    assert extended.status_code == 200, extended.text
    assert extended.json["expires_at"] == "2030-01-01T00:00:00Z"
    session.expire_all()
    assert session.get(UserAddOn, held.id).expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    [mine] = client.get("/api/v1/me/subscriptions", headers=ALICE).json["items"]
    assert (mine["id"], mine["expires_at"]) == (str(held.id), "2030-01-01T00:00:00Z")
    [(action, new)] = audit(session, held.id)
    assert action == "subscription.extend" and new["expires_at"].startswith("2030-01-01")
    assert queued_events(session, "alice") == ["entitlements.updated"]


def test_cancel_ends_what_the_shopper_holds(client, session, catalog, receiver):
    endpoint_for(session, receiver)
    feature(session, catalog.tts, "tts_neural")
    held = subscribe(session, "alice", catalog.tts)
    assert client.get("/api/v1/me/features", headers=ALICE).json["feature_keys"] == ["tts_neural"]
    url = f"/api/v1/admin/subscriptions/{held.id}"
    tag = client.get(url, headers=ADMIN).headers["ETag"]

    cancelled = client.post(
        f"{url}/cancel", json={"reason": "Fraud"}, headers={**ADMIN, "If-Match": tag}
    )

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json["status"] == "cancelled"
    assert cancelled.json["cancellation_reason"] == "Fraud"
    assert client.get("/api/v1/me/subscriptions", headers=ALICE).json["items"] == []
    assert client.get("/api/v1/me/features", headers=ALICE).json["feature_keys"] == []
    assert [action for action, _ in audit(session, held.id)] == ["subscription.cancel"]
    assert queued_events(session, "alice") == ["subscription.cancelled", "entitlements.updated"]
    run_outbox()
    assert [e["type"] for e in receiver.events()] == [
        "subscription.cancelled",
        "entitlements.updated",
    ]


def test_rotating_the_secret_answers_it_once_and_signs_with_it(client, session, catalog, receiver):
    endpoint = endpoint_for(session, receiver, types=["entitlements.updated"])
    old = endpoint.secret
    hooks = f"/api/v1/admin/webhook-endpoints/{endpoint.id}"

    rotated = client.post(f"{hooks}/secret/rotate", headers=ADMIN)

    assert rotated.status_code == 200, rotated.text
    secret = rotated.json["secret"]
    assert secret.startswith("whsec_") and secret != old
    assert rotated.headers["Cache-Control"] == "no-store"
    assert "secret" not in client.get(hooks, headers=ADMIN).json
    # Audited without the secret itself.
    [*_, (action, new)] = audit(session, endpoint.id)
    assert (action, new) == ("webhook_endpoint.rotate_secret", {"secret": "replaced"})
    held = subscribe(session, "alice", catalog.tts)
    tag = client.get(f"/api/v1/admin/subscriptions/{held.id}", headers=ADMIN).headers["ETag"]
    client.post(
        f"/api/v1/admin/subscriptions/{held.id}/suspend",
        json={},
        headers={**ADMIN, "If-Match": tag},
    )
    run_outbox()
    [delivery] = receiver.received
    signature = delivery.headers["Marketplace-Signature"]
    now = int(time.time())
    assert signing.verify(secret, signature, delivery.body, now)
    assert not signing.verify(old, signature, delivery.body, now)


def test_only_admins_rotate_a_secret(client, session, receiver):
    endpoint = endpoint_for(session, receiver)
    rotate = f"/api/v1/admin/webhook-endpoints/{endpoint.id}/secret/rotate"

    assert_problem(client.post(rotate, headers=SUPPORT), 403)
    assert_problem(client.post(rotate, headers=ALICE), 403)
    assert_problem(
        client.post(
            "/api/v1/admin/webhook-endpoints/00000000-0000-4000-8000-000000000000/secret/rotate",
            headers=ADMIN,
        ),
        404,
    )
    session.expire_all()
    assert session.get(type(endpoint), endpoint.id).secret == endpoint.secret
