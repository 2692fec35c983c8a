"""The admin API's changes: each through the admin service (audited as on the pages), admin
writes, support and shoppers refused, bad values named, refunds replayed by Idempotency-Key."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.models import AdminAuditEntry, PromotionalCode, Refund
from tests.fixtures.identity import purchase, subscribe
from tests.integration.api.conftest import assert_problem, bearer

ADMIN = bearer("dev:admin:ops-1")
SUPPORT = bearer("dev:support:help-1")
SHOPPER = bearer("dev:shopper:alice")


def actions(session, object_id) -> list[str]:
    session.expire_all()
    return sorted(
        session.scalars(
            select(AdminAuditEntry.action).where(AdminAuditEntry.object_id == str(object_id))
        )
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/admin/bundles", {}),
        ("/api/v1/admin/pricing-rules", {}),
        ("/api/v1/admin/promo-codes", {}),
        ("/api/v1/admin/promo-codes/batches", {}),
        ("/api/v1/admin/subscriptions/grants", {}),
        ("/api/v1/admin/webhook-endpoints", {}),
    ],
)
def test_only_admins_write(client, catalog, path, body):
    assert_problem(client.post(path, json=body, headers=SUPPORT), 403)
    assert_problem(client.post(path, json=body, headers=SHOPPER), 403)
    assert_problem(client.post(path, json=body), 401)


def test_bundle_create_edit_deactivate_audited(client, session, catalog):
    body = {
        "name": "Voice Duo",
        "add_on_ids": [str(catalog.tts.id), str(catalog.stt.id)],
        "discount_percent": "15.00",
    }
    created = client.post("/api/v1/admin/bundles", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    url = f"/api/v1/admin/bundles/{created.json['id']}"
    saved = client.put(
        url,
        json={**body, "discount_percent": "20.00"},
        headers={**ADMIN, "If-Match": created.headers["ETag"]},
    )
    stale = client.put(url, json=body, headers={**ADMIN, "If-Match": created.headers["ETag"]})
    off = client.put(f"{url}/active", json={"is_active": False}, headers=ADMIN)

    assert saved.json["discount_percent"] == "20.00"
    assert_problem(stale, 412)
    assert off.json["is_active"] is False
    assert actions(session, created.json["id"]) == [
        "bundle.create",
        "bundle.deactivate",
        "bundle.update",
    ]


def test_bundle_values_name_their_fields(client, catalog):
    both = client.post(
        "/api/v1/admin/bundles",
        json={
            "name": "X",
            "add_on_ids": [str(catalog.tts.id)],
            "discount_percent": "150.00",
            "valid_from": "2027-01-02T00:00:00Z",
            "valid_until": "2027-01-01T00:00:00Z",
        },
        headers=ADMIN,
    )
    one_member = client.post(
        "/api/v1/admin/bundles",
        json={"name": "X", "add_on_ids": [str(catalog.tts.id)], "discount_percent": "10.00"},
        headers=ADMIN,
    )

    assert list(assert_problem(both, 422)["errors"]) == ["discount_percent"]
    assert list(assert_problem(one_member, 422)["errors"]) == ["add_on_ids"]


def test_pricing_rule_create_and_switch_off(client, session, catalog):
    body = {"add_on_id": str(catalog.tts.id), "discount_percent": "10.00", "priority": 5}
    created = client.post("/api/v1/admin/pricing-rules", json=body, headers=ADMIN)
    bad = client.post(
        "/api/v1/admin/pricing-rules",
        json={**body, "conditions": {"colour": "red"}},
        headers=ADMIN,
    )
    off = client.put(
        f"/api/v1/admin/pricing-rules/{created.json['id']}",
        json={**body, "is_active": False},
        headers={**ADMIN, "If-Match": created.headers["ETag"]},
    )

    assert created.status_code == 201 and off.json["is_active"] is False
    assert list(assert_problem(bad, 422)["errors"]) == ["conditions"]
    assert actions(session, created.json["id"]) == ["pricing_rule.create", "pricing_rule.update"]


def test_promo_code_create_update_and_batch(client, session, catalog):
    body = {"code": "spring25", "discount_type": "percentage", "discount_value": "25.00"}
    created = client.post("/api/v1/admin/promo-codes", json=body, headers=ADMIN)
    taken = client.post("/api/v1/admin/promo-codes", json=body, headers=ADMIN)
    too_much = client.post(
        "/api/v1/admin/promo-codes",
        json={**body, "code": "OTHER", "discount_value": "120.00", "tier": "nope"},
        headers=ADMIN,
    )
    off = client.put(
        f"/api/v1/admin/promo-codes/{created.json['id']}",
        json={**body, "is_active": False},
        headers={**ADMIN, "If-Match": created.headers["ETag"]},
    )
    batch = client.post(
        "/api/v1/admin/promo-codes/batches",
        json={"prefix": "fall", "count": 5, "discount_type": "fixed_amount", "discount_value": "5"},
        headers=ADMIN,
    )
    listed = client.get(
        "/api/v1/admin/promo-codes", query_string={"batch_id": batch.json["id"]}, headers=ADMIN
    )

    assert created.json["code"] == "SPRING25" and off.json["is_active"] is False
    assert list(assert_problem(taken, 422)["errors"]) == ["code"]
    assert list(assert_problem(too_much, 422)["errors"]) == ["discount_value"]
    assert batch.status_code == 201 and batch.json["count"] == 5
    assert [c["code"][:4] for c in listed.json["items"]] == ["FALL"] * 5
    assert actions(session, created.json["id"]) == ["promo_code.create", "promo_code.update"]
    assert actions(session, batch.json["id"]) == ["promo_code.batch_create"]
    assert session.scalar(select(func.count()).select_from(PromotionalCode)) >= 10


def test_a_promo_for_an_unknown_tier_is_refused_on_tier(client, catalog):
    body = {"code": "TIERED", "discount_type": "percentage", "discount_value": "5", "tier": "x"}

    response = client.post("/api/v1/admin/promo-codes", json=body, headers=ADMIN)

    assert list(assert_problem(response, 422)["errors"]) == ["tier"]


def refund(client, order_id, body, key="key-1", headers=ADMIN):
    return client.post(
        f"/api/v1/admin/orders/{order_id}/refunds",
        json=body,
        headers={**headers, "Idempotency-Key": key},
    )


def test_refund_is_idempotent_audited_and_refuses_stale_or_too_much(client, session, catalog):
    line = purchase(
        session, "alice", catalog.tts, amount=Decimal("20.00"), stripe_payment_id="pi_1"
    )
    order_id = line.order_id
    state = client.get(f"/api/v1/admin/orders/{order_id}", headers=ADMIN).json["refund_state"]
    body = {"amount": "5.00", "reason": "Goodwill", "refund_state": state}

    first = refund(client, order_id, body)
    replay = refund(client, order_id, body)
    other_body = refund(client, order_id, {**body, "amount": "6.00"})
    twin = refund(client, order_id, body, key="key-2")  # the same refund from the same state
    stale = refund(client, order_id, {**body, "amount": "4.00"}, key="key-3")
    fresh = client.get(f"/api/v1/admin/orders/{order_id}", headers=ADMIN).json
    too_much = refund(
        client, order_id, {**body, "amount": "99.00", "refund_state": fresh["refund_state"]}, "k3"
    )
    no_key = client.post(f"/api/v1/admin/orders/{order_id}/refunds", json=body, headers=ADMIN)

    assert first.status_code == 201 and first.json["amount"]["amount"] == "5.00"
    assert replay.json == first.json and replay.headers["Idempotent-Replayed"] == "true"
    assert_problem(other_body, 422)
    assert twin.status_code == 200 and twin.json["id"] == first.json["id"]
    assert_problem(stale, 409)
    assert list(assert_problem(too_much, 422)["errors"]) == ["amount"]
    assert_problem(no_key, 400)
    assert [r["id"] for r in fresh["refunds"]] == [first.json["id"]]
    assert session.scalar(select(func.count()).select_from(Refund)) == 1
    assert actions(session, order_id) == ["order.refund"]


def test_support_reads_orders_but_cannot_refund(client, session, catalog):
    line = purchase(session, "alice", catalog.tts, stripe_payment_id="pi_2")
    body = {"reason": "No", "refund_state": "x"}

    assert_problem(refund(client, line.order_id, body, headers=SUPPORT), 403)
    assert_problem(refund(client, line.order_id, body, headers=SHOPPER), 403)


def test_subscription_actions_and_grant(client, session, catalog):
    held = subscribe(session, "alice", catalog.tts)
    url = f"/api/v1/admin/subscriptions/{held.id}"
    tag = client.get(url, headers=ADMIN).headers["ETag"]

    suspended = client.post(f"{url}/suspend", json={}, headers={**ADMIN, "If-Match": tag})
    again = client.post(
        f"{url}/suspend", json={}, headers={**ADMIN, "If-Match": suspended.headers["ETag"]}
    )
    reactivated = client.post(
        f"{url}/reactivate",
        json={"reason": "ok"},
        headers={**ADMIN, "If-Match": suspended.headers["ETag"]},
    )
    stale = client.post(f"{url}/cancel", json={}, headers={**ADMIN, "If-Match": tag})
    granted = client.post(
        "/api/v1/admin/subscriptions/grants",
        json={
            "user_id": "bob",
            "add_on_id": str(catalog.stt.id),
            "expires_at": "2030-01-01T00:00:00Z",
            "reason": "Partner",
        },
        headers=ADMIN,
    )
    found = client.get("/api/v1/admin/subscriptions", query_string={"q": "bob"}, headers=ADMIN)

    assert suspended.json["status"] == "suspended"
    assert_problem(again, 409)
    assert reactivated.json["status"] == "active"
    assert_problem(stale, 412)
    assert granted.status_code == 201 and granted.json["auto_renew"] is False
    assert [s["user_id"] for s in found.json["items"]] == ["bob"]
    assert actions(session, held.id) == ["subscription.reactivate", "subscription.suspend"]
    assert_problem(client.get("/api/v1/admin/subscriptions", headers=SUPPORT), 403)


def test_analytics_summary_reads_for_staff(client):
    api = client.get("/api/v1/admin/analytics", query_string={"range": "90d"}, headers=SUPPORT)
    bad = client.get("/api/v1/admin/analytics", query_string={"range": "custom"}, headers=SUPPORT)

    assert api.status_code == 200 and set(api.json["kpis"])
    assert list(assert_problem(bad, 422)["errors"]) == ["range"]
    assert_problem(client.get("/api/v1/admin/analytics", headers=SHOPPER), 403)


def test_webhook_endpoints_create_edit_log_resend_delete(client, session):
    body = {"url": "http://127.0.0.1:9/hooks", "event_types": ["purchase.completed"]}
    created = client.post("/api/v1/admin/webhook-endpoints", json=body, headers=ADMIN)
    url = f"/api/v1/admin/webhook-endpoints/{created.json['id']}"
    paused = client.put(
        url,
        json={**body, "is_active": False},
        headers={**ADMIN, "If-Match": created.headers["ETag"]},
    )
    log = client.get(f"{url}/deliveries", headers=ADMIN)
    listed = client.get("/api/v1/admin/webhook-endpoints", headers=ADMIN)
    gone = client.delete(url, headers=ADMIN)

    assert created.status_code == 201 and created.json["secret"].startswith("whsec_")
    assert paused.json["is_active"] is False and "secret" not in paused.json
    assert log.json == {"items": [], "next_cursor": None}
    assert [e["id"] for e in listed.json["items"]] == [created.json["id"]]
    assert gone.status_code == 204
    assert actions(session, created.json["id"]) == [
        "webhook_endpoint.create",
        "webhook_endpoint.delete",
        "webhook_endpoint.update",
    ]


class TestInProduction:
    @pytest.fixture
    def app_overrides(self, app_overrides) -> dict:
        return {**app_overrides, "WEBHOOK_ALLOW_PRIVATE_URLS": False}

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8000/h",
            "http://10.1.2.3/h",
            "http://169.254.169.254/",
            "http://[::1]/",
        ],
    )
    def test_private_addresses_are_refused(self, client, url):
        body = {"url": url, "event_types": ["purchase.completed"]}

        response = client.post("/api/v1/admin/webhook-endpoints", json=body, headers=ADMIN)

        assert "public addresses" in assert_problem(response, 422)["errors"]["url"][0]

    def test_a_public_address_is_taken(self, client):
        body = {"url": "https://93.184.215.14/hooks", "event_types": ["purchase.completed"]}

        assert (
            client.post("/api/v1/admin/webhook-endpoints", json=body, headers=ADMIN).status_code
            == 201
        )
