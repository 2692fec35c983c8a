"""An admin's changes to a subscription reach the platform as events, like a shopper's: a
complimentary grant, a suspension, a reactivation, a new end date and a cancellation."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.models import AddOnFeature, UserAddOn
from tests.integration.events.conftest import endpoint_for
from tests.integration.events.steps import run_outbox

SUBSCRIPTIONS = "/admin/subscriptions/"


def token_on(admin_client, url: str) -> str:
    page = admin_client.get(url)
    assert page.status_code == 200, page.text
    return re.search(r'name="token" type="hidden" value="([0-9a-f]{64})"', page.text).group(1)


def test_admin_subscription_changes_are_announced_in_order(
    admin_client, session, catalog, receiver
):
    endpoint_for(session, receiver)
    session.add(AddOnFeature(add_on_id=catalog.tts.id, feature_key="tts_neural", enabled=True))
    session.commit()
    granted = admin_client.post(
        SUBSCRIPTIONS + "grant",
        data={"user_id": "gift-gus", "add_on_id": str(catalog.tts.id),
              "expires_at": "2030-01-01T00:00", "reason": "Beta tester"},
    )  # fmt: skip
    assert granted.status_code == 303
    held = session.scalars(select(UserAddOn).where(UserAddOn.user_id == "gift-gus")).one()
    page = f"{SUBSCRIPTIONS}{held.id}"
    for change in ("suspend", "reactivate"):
        token = token_on(admin_client, f"{page}/{change}")
        assert admin_client.post(f"{page}/{change}", data={"token": token}).status_code == 303
    extended = admin_client.post(
        f"{page}/extend",
        data={"token": token_on(admin_client, page), "expires_at": "2031-01-01T00:00"},
    )
    assert extended.status_code == 303
    token = token_on(admin_client, f"{page}/cancel")
    assert admin_client.post(f"{page}/cancel", data={"token": token}).status_code == 303

    run_outbox()

    events = [(event["type"], event["data"].get("user_id")) for event in receiver.events()]
    assert [kind for kind, _ in events] == [
        "purchase.completed", "subscription.activated", "entitlements.updated",  # grant
        "entitlements.updated",  # suspend: its features stop
        "subscription.activated", "entitlements.updated",  # reactivate
        "entitlements.updated",  # a new end date
        "subscription.cancelled", "entitlements.updated",  # cancel
    ]  # fmt: skip
    assert {user for _, user in events} == {"gift-gus"}
    entitlements = [e["data"] for e in receiver.events() if e["type"] == "entitlements.updated"]
    assert [bool(data["feature_keys"]) for data in entitlements] == [True, False, True, True, False]
