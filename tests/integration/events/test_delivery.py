"""Events out: emitted by purchases, cancellations and expiry; delivered signed to real local
receivers, retried, in order per user, once per event id; a slow receiver delays no other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from marketplace.config import PROJECT_ROOT
from marketplace.models import (
    AddOnFeature,
    BillingOutboxEntry,
    UserAddOn,
    WebhookDelivery,
    WebhookEvent,
)
from tests.fixtures.waiting import wait_until
from tests.fixtures.webhook_receiver import WebhookReceiver
from tests.integration.events.conftest import endpoint_for
from tests.integration.events.steps import buy, run_outbox

USER = "uma"


def readme_verify():
    """The `verify` function of the README's "Webhooks (events out)" section, run as written."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme[readme.index("## Webhooks (events out)") :]
    start = section.index("```python\n") + len("```python\n")
    namespace: dict = {}
    exec(section[start : section.index("```", start)], namespace)  # noqa: S102
    return namespace["verify"]


verify = readme_verify()


def test_a_purchase_is_delivered_signed_with_the_entitlements_after_it(
    client, session, catalog, receiver
):
    endpoint = endpoint_for(session, receiver)
    session.add(AddOnFeature(add_on_id=catalog.tts.id, feature_key="tts_neural", enabled=True,
                             configuration={"voices": 12}))  # fmt: skip
    session.commit()

    buy(client, session, USER, catalog.tts)
    report = run_outbox()

    types = [event["type"] for event in receiver.events()]
    assert types == ["purchase.completed", "subscription.activated", "entitlements.updated"]
    assert (report.events_delivered, report.events_failed) == (3, 0)
    for delivery in receiver.received:
        assert verify(endpoint.secret, delivery.headers["Marketplace-Signature"], delivery.body)
        assert not verify("whsec_wrong", delivery.headers["Marketplace-Signature"], delivery.body)
        assert delivery.headers["Marketplace-Event-Id"] == delivery.event["id"]
    completed, activated, entitlements = receiver.events()
    assert set(completed) == {"id", "type", "created", "data"}
    assert completed["created"].endswith("Z")
    purchase = completed["data"]["purchase"]
    assert (purchase["amount"], purchase["currency"], purchase["status"]) == (
        "9.99", "USD", "completed",
    )  # fmt: skip
    assert purchase["add_on"]["slug"] == catalog.tts.slug
    assert activated["data"]["subscription"]["status"] == "active"
    # The same shape as GET /api/v1/users/<id>/features.
    assert entitlements["data"] == {
        "user_id": USER,
        "feature_keys": ["tts_neural"],
        "features": {"tts_neural": {"voices": 12}},
    }
    log = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert [(row.response_code, row.delivered, row.error) for row in log] == [(200, True, None)] * 3


def test_a_500_is_retried_with_back_off_and_the_users_later_events_wait(
    client, session, catalog, receiver
):
    endpoint_for(session, receiver)
    receiver.answers.append(500)

    buy(client, session, USER, catalog.tts)
    first = run_outbox()

    # The first event failed; the user's two later ones were not sent before it.
    assert len(receiver.received) == 1 and first.events_failed == 1
    assert "answered 500" in first.errors[0]
    failed = session.scalars(
        select(BillingOutboxEntry).where(BillingOutboxEntry.last_error.is_not(None))
    ).one()
    assert failed.attempts == 1 and failed.status == "pending"
    assert failed.next_attempt_at > datetime.now(UTC) + timedelta(seconds=20)
    assert run_outbox().events_delivered == 0  # backed off: nothing is due before it

    report = run_outbox(datetime.now(UTC) + timedelta(minutes=1))

    assert report.events_delivered == 3
    types = [event["type"] for event in receiver.events()]
    assert types == [
        "purchase.completed",
        "purchase.completed",
        "subscription.activated",
        "entitlements.updated",
    ]
    ids = [event["id"] for event in receiver.events()]
    assert ids[0] == ids[1]  # the retry is the same event: a receiver deduplicates on its id


def test_each_event_is_delivered_once_per_endpoint_across_runs(
    client, session, catalog, receiver, other_receiver
):
    endpoint_for(session, receiver)
    endpoint_for(session, other_receiver, types=["entitlements.updated"])

    buy(client, session, USER, catalog.tts)
    first, second = run_outbox(), run_outbox()

    assert (first.events_delivered, second.events_delivered) == (4, 0)
    ids = [event["id"] for event in receiver.events()]
    assert len(ids) == len(set(ids)) == 3
    [only] = other_receiver.events()
    assert only["type"] == "entitlements.updated" and only["id"] in ids


def test_one_users_events_arrive_in_the_order_of_the_changes(client, session, catalog, receiver):
    endpoint_for(session, receiver, types=["subscription.activated", "subscription.cancelled"])
    buy(client, session, USER, catalog.tts)
    held = session.scalars(select(UserAddOn).where(UserAddOn.user_id == USER)).one()
    cancelled = client.post(f"/account/add-ons/{held.id}/cancel", data={"reason": "x"})
    assert cancelled.status_code in (200, 303)
    buy(client, session, "vic", catalog.tts)

    run_outbox()

    seen = [(e["data"]["user_id"], e["type"]) for e in receiver.events()]
    assert [s for s in seen if s[0] == USER] == [
        (USER, "subscription.activated"),
        (USER, "subscription.cancelled"),
    ]
    assert ("vic", "subscription.activated") in seen


def test_a_slow_receiver_delays_no_other_endpoint(client, session, catalog, receiver):
    endpoint_for(session, receiver)
    # Holds its answer until released (at most 5 s): the sender gives up after 0.5 s.
    with WebhookReceiver(delay=5.0) as slow:
        endpoint_for(session, slow)
        buy(client, session, USER, catalog.tts)

        report = run_outbox()

        assert len(receiver.received) == 3
        # Every delivery to the fast endpoint arrived while the slow one had not answered.
        assert slow.arrivals == 1 and not slow.received
        slow.release()
        [answered] = wait_until(lambda: slow.received)
        assert max(r.arrived for r in receiver.received) < answered.answered
    assert report.events_delivered == 3 and report.events_failed == 1
    # The slow lane stopped at the receiver that did not answer: its later events wait.
    failed = session.scalars(select(WebhookDelivery).where(WebhookDelivery.delivered.is_(False)))
    assert [(row.response_code, row.error) for row in failed] == [(None, "no answer within 0.5 s")]
    assert (
        session.scalar(
            select(func.count()).where(
                BillingOutboxEntry.kind == "webhook.deliver", BillingOutboxEntry.status == "pending"
            )
        )
        == 3
    )


def test_expiry_by_flask_maintain_emits_expired_and_entitlements(app, session, catalog, receiver):
    endpoint_for(session, receiver)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    session.add(UserAddOn(user_id=USER, add_on_id=catalog.tts.id, expires_at=yesterday))
    session.commit()

    result = app.test_cli_runner().invoke(args=["maintain", "expire-subscriptions"])
    delivered = app.test_cli_runner().invoke(args=["maintain", "deliver-outbox"])

    assert "marked 1 active subscriptions expired" in result.output
    assert [e["type"] for e in receiver.events()] == [
        "subscription.expired",
        "entitlements.updated",
    ]
    expired, entitlements = receiver.events()
    assert expired["data"]["subscription"]["status"] == "expired"
    assert entitlements["data"] == {"user_id": USER, "feature_keys": [], "features": {}}
    assert "events: delivered 2 to webhook endpoints, failed 0, given up 0" in delivered.output


def test_an_event_still_failing_after_three_days_is_given_up(client, session, catalog, receiver):
    endpoint_for(session, receiver, types=["entitlements.updated"])
    buy(client, session, USER, catalog.tts)
    receiver.answers.extend([503, 503])

    run_outbox()
    report = run_outbox(datetime.now(UTC) + timedelta(days=3, minutes=1))

    assert report.given_up == 1
    entry = session.scalars(
        select(BillingOutboxEntry).where(BillingOutboxEntry.kind == "webhook.deliver")
    ).one()
    assert (entry.status, entry.attempts) == ("failed", 2)


def test_the_stored_event_is_what_every_endpoint_gets(client, session, catalog, receiver):
    endpoint_for(session, receiver, types=["purchase.completed"])
    buy(client, session, USER, catalog.tts)
    run_outbox()

    [event] = session.scalars(select(WebhookEvent)).all()
    [received] = receiver.events()
    assert received["id"] == str(event.id) and received["data"] == event.data


def test_purchases_are_announced_right_after_their_response(client, session, catalog, receiver):
    endpoint_for(session, receiver, types=["purchase.completed"])

    buy(client, session, USER, catalog.tts, after_response=True)

    assert [e["type"] for e in receiver.events()] == ["purchase.completed"]


def test_a_receiver_that_stopped_answering_costs_one_timeout_not_one_per_purchase(
    client, session, catalog
):
    with WebhookReceiver(delay=5.0) as slow:
        endpoint_for(session, slow, types=["purchase.completed"])

        buy(client, session, USER, catalog.tts, after_response=True)
        buy(client, session, "vic", catalog.tts, after_response=True)

        # The second purchase's delivery was left to the runner: the endpoint was failing.
        # (Sent as each answer closes, in this thread: none is still on its way.)
        assert slow.arrivals == 1
    owed = session.scalars(
        select(BillingOutboxEntry).where(BillingOutboxEntry.kind == "webhook.deliver")
    ).all()
    assert sorted(entry.attempts for entry in owed) == [0, 1]
