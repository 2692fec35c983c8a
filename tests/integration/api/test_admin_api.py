"""The admin area over the API: the admin pages' role table, their services (audited), and
support reading only where the pages let it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace.models import AddOn, AdminAuditEntry
from tests.fixtures.identity import purchase
from tests.integration.api.conftest import SERVICE_TOKEN, assert_problem, bearer

ADMIN = bearer("dev:admin:ops-1")
SUPPORT = bearer("dev:support:help-1")
SHOPPER = bearer("dev:shopper:alice")

NEW_ADD_ON = {
    "name": "Deep Translator",
    "category": "ai-services",
    "price": {"amount": "12.50", "currency": "USD"},
    "billing_type": "monthly",
    "features": ["translate"],
}


def test_the_area_table_decides_who_reads_what(client, catalog):
    for headers, status in ((ADMIN, 200), (SUPPORT, 403), (SHOPPER, 403)):
        assert client.get("/api/v1/admin/add-ons", headers=headers).status_code == status
    assert client.get("/api/v1/admin/orders", headers=SUPPORT).status_code == 200
    assert client.get("/api/v1/admin/audit-log", headers=SUPPORT).status_code == 200
    assert_problem(client.get("/api/v1/admin/orders", headers=bearer(SERVICE_TOKEN)), 403)
    assert_problem(client.get("/api/v1/admin/orders"), 401)


def test_add_ons_list_all_of_them_a_page_at_a_time(client, catalog):
    first = client.get("/api/v1/admin/add-ons", query_string={"limit": 6}, headers=ADMIN).json
    rest = client.get(
        "/api/v1/admin/add-ons",
        query_string={"limit": 6, "cursor": first["next_cursor"]},
        headers=ADMIN,
    ).json

    names = [item["name"] for item in first["items"] + rest["items"]]
    assert len(names) == 10 and names == sorted(names)  # the inactive one too, by name
    assert rest["next_cursor"] is None
    assert "Retired Voice Pack" in names


def test_create_then_edit_with_if_match_audited(client, session, catalog):
    created = client.post("/api/v1/admin/add-ons", json=NEW_ADD_ON, headers=ADMIN)
    assert created.status_code == 201
    body = created.json
    assert body["slug"] == "deep-translator" and body["price"]["amount"] == "12.50"

    url = f"/api/v1/admin/add-ons/{body['id']}"
    stale = created.headers["ETag"]
    saved = client.put(
        url,
        json={**NEW_ADD_ON, "price": {"amount": "14.00", "currency": "USD"}},
        headers={**ADMIN, "If-Match": stale},
    )
    again = client.put(url, json=NEW_ADD_ON, headers={**ADMIN, "If-Match": stale})
    missing = client.put(url, json=NEW_ADD_ON, headers=ADMIN)

    assert saved.status_code == 200 and saved.json["price"]["amount"] == "14.00"
    assert_problem(again, 412)  # changed since that ETag was read
    assert_problem(missing, 428)
    actions = session.scalars(
        select(AdminAuditEntry.action).where(AdminAuditEntry.object_id == body["id"])
    ).all()
    assert sorted(actions) == ["add_on.create", "add_on.update"]
    entry = session.scalars(
        select(AdminAuditEntry).where(AdminAuditEntry.action == "add_on.update")
    ).one()
    assert (entry.actor, entry.actor_role) == ("ops-1", "admin")


def test_a_taken_slug_is_a_422_on_slug(client, catalog):
    response = client.post(
        "/api/v1/admin/add-ons", json={**NEW_ADD_ON, "slug": "unicorn-orator-tts"}, headers=ADMIN
    )

    assert list(assert_problem(response, 422)["errors"]) == ["slug"]


def test_bad_values_name_their_fields(client, catalog):
    response = client.post(
        "/api/v1/admin/add-ons",
        json={**NEW_ADD_ON, "slug": "Not A Slug", "price": {"amount": "-1", "currency": "EUR"}},
        headers=ADMIN,
    )

    assert set(assert_problem(response, 422)["errors"]) == {
        "slug",
        "price.amount",
        "price.currency",
    }


def test_deactivate_and_delete(client, session, catalog):
    purchase(session, "alice", catalog.tts)
    url = f"/api/v1/admin/add-ons/{catalog.tts.id}"
    off = client.put(f"{url}/active", json={"is_active": False}, headers=ADMIN)
    sold = client.delete(url, headers=ADMIN)
    never_sold = client.delete(f"/api/v1/admin/add-ons/{catalog.gpu.id}", headers=ADMIN)

    assert off.json["is_active"] is False
    assert client.get("/api/v1/add-ons/unicorn-orator-tts").status_code == 404
    assert "Deactivate it instead" in assert_problem(sold, 422)["detail"]
    assert never_sold.status_code == 204
    assert_problem(client.get(f"/api/v1/admin/add-ons/{catalog.gpu.id}", headers=ADMIN), 404)


def test_support_cannot_change_what_it_may_read(client, session, catalog):
    purchase(session, "alice", catalog.tts)
    order_id = client.get("/api/v1/admin/orders", headers=SUPPORT).json["items"][0]["id"]

    assert client.get(f"/api/v1/admin/orders/{order_id}", headers=SUPPORT).status_code == 200
    assert_problem(client.post("/api/v1/admin/add-ons", json=NEW_ADD_ON, headers=SUPPORT), 403)
    assert session.scalar(select(AddOn).where(AddOn.slug == "deep-translator")) is None


def test_orders_customers_and_the_audit_log(client, session, catalog):
    purchase(session, "alice", catalog.tts, amount=Decimal("9.99"))
    purchase(session, "bob", catalog.stt)
    client.put(
        f"/api/v1/admin/add-ons/{catalog.gpu.id}/active", json={"is_active": False}, headers=ADMIN
    )

    alices = client.get("/api/v1/admin/orders", query_string={"user_id": "alice"}, headers=ADMIN)
    customers = client.get("/api/v1/admin/customers", headers=ADMIN).json["items"]
    alice = client.get("/api/v1/admin/customers/alice", headers=ADMIN).json
    audit = client.get("/api/v1/admin/audit-log", headers=ADMIN).json["items"]

    assert [order["user_id"] for order in alices.json["items"]] == ["alice"]
    assert [c["user_id"] for c in customers] == ["alice", "bob"]
    assert alice["paid"] == {"amount": "9.99", "currency": "USD"} and alice["orders"] == 1
    assert audit[0]["action"] == "add_on.deactivate" and audit[0]["actor"] == "ops-1"
    assert_problem(client.get("/api/v1/admin/customers/nobody", headers=ADMIN), 404)


@pytest.mark.parametrize(
    "path", ["/api/v1/admin/bundles", "/api/v1/admin/pricing-rules", "/api/v1/admin/promo-codes"]
)
def test_admin_only_lists(client, catalog, path):
    assert client.get(path, headers=ADMIN).status_code == 200
    assert_problem(client.get(path, headers=SUPPORT), 403)


def test_promo_codes_and_bundles_read(client, catalog):
    codes = client.get("/api/v1/admin/promo-codes", headers=ADMIN).json["items"]
    bundles = client.get("/api/v1/admin/bundles", headers=ADMIN).json["items"]

    assert [c["code"] for c in codes] == ["FIRSTBUY", "FRIEND50", "LAUNCH2025", "VIP2025"]
    assert [b["name"] for b in bundles] == sorted(b["name"] for b in bundles)
    one = client.get(f"/api/v1/admin/promo-codes/{codes[1]['id']}", headers=ADMIN).json
    assert one["discount_value"] == "5.00" and one["discount_type"] == "fixed_amount"
