"""Operations: the billing outbox's pending entries (filters, keyset pages, "Retry now"
against the local Lago) and the Stripe events received."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from marketplace.admin.keyset import Cursor
from marketplace.admin.operations.queries import events_page
from marketplace.billing.outbox import CREATE_SUBSCRIPTION, REFUND_PAYMENT
from marketplace.models import AdminAuditEntry, BillingOutboxEntry, StripeEvent, UserAddOn
from tests.fixtures.database import recorded_statements
from tests.fixtures.fakes import stripe_config

OUTBOX = "/admin/operations/"
EVENTS = "/admin/operations/stripe-events"
NOW = datetime.now(UTC)


@pytest.fixture
def app_overrides(fake_stripe, fake_lago) -> dict:
    return stripe_config(fake_stripe, fake_lago)


def owe(session, kind: str, payload: dict, *, attempts=0, error=None, due=NOW, status="pending"):
    entry = BillingOutboxEntry(
        id=uuid.uuid4(), kind=kind, payload=payload, attempts=attempts, last_error=error,
        next_attempt_at=due, status=status,
    )  # fmt: skip
    session.add(entry)
    session.commit()
    return entry


@pytest.fixture
def failing_creation(session, add_ons) -> BillingOutboxEntry:
    """A Lago subscription owed for Uma's add-on: two attempts failed, the next in an hour."""
    held = UserAddOn(user_id="uma", add_on_id=add_ons["unicorn-orator-tts"].id)
    session.add(held)
    session.flush()
    payload = {"user_id": "uma", "user_add_on_id": str(held.id), "plan_code": "tts"}
    return owe(
        session, CREATE_SUBSCRIPTION, payload, attempts=2,
        error="Lago answered 503 Service Unavailable", due=NOW + timedelta(hours=1),
    )  # fmt: skip


def listed_ids(html: str) -> list[str]:
    return re.findall(r'/admin/operations/outbox/([0-9a-f-]{36})/retry"', html)


def test_the_outbox_lists_what_is_owed_with_attempts_and_last_error(
    admin_client, session, failing_creation
):
    refund = owe(session, REFUND_PAYMENT, {"payment_reference": "pi_1", "amount": "5.00"})
    owe(session, REFUND_PAYMENT, {"payment_reference": "pi_2"}, status="delivered")

    page = admin_client.get(OUTBOX)

    assert page.status_code == 200
    # Soonest due first; the delivered entry is not owed any more.
    assert listed_ids(page.text) == [str(refund.id), str(failing_creation.id)]
    assert "Lago answered 503 Service Unavailable" in page.text
    assert "lago.subscription.create" in page.text and "Retry now" in page.text
    summary = re.sub(r"\s+", " ", page.text)
    assert "<dt>Owed</dt><dd>2</dd>" in summary and "<dt>Failing</dt><dd>1</dd>" in summary


def test_filters_by_kind_and_state_with_htmx_partials(admin_client, session, failing_creation):
    fresh = owe(session, REFUND_PAYMENT, {"payment_reference": "pi_1"})
    stale = owe(
        session, REFUND_PAYMENT, {"payment_reference": "pi_3"}, due=NOW - timedelta(hours=2)
    )

    failing = admin_client.get(OUTBOX + "?status=failing")
    by_kind = admin_client.get(OUTBOX + "?kind=stripe.refund", headers={"HX-Request": "true"})
    overdue = admin_client.get(OUTBOX + "?status=overdue")

    assert listed_ids(failing.text) == [str(failing_creation.id)]
    assert listed_ids(by_kind.text) == [str(stale.id), str(fresh.id)]
    assert "<html" not in by_kind.text and "<html" in failing.text
    assert listed_ids(overdue.text) == [str(stale.id)]
    assert admin_client.get(OUTBOX + "?status=lost").status_code == 400


def test_the_outbox_pages_by_keyset(admin_client, session):
    made = [
        owe(session, REFUND_PAYMENT, {"n": n}, due=NOW + timedelta(minutes=n)) for n in range(55)
    ]

    first = admin_client.get(OUTBOX)
    after = re.search(r'href="(/admin/operations/\?after=[^"]+)"', first.text).group(1)
    second = admin_client.get(after.replace("&amp;", "&"))

    assert listed_ids(first.text) == [str(e.id) for e in made[:50]]
    assert listed_ids(second.text) == [str(e.id) for e in made[50:]]
    assert admin_client.get(OUTBOX + "?after=yesterday_x").status_code == 400
    assert admin_client.get(OUTBOX + f"?after={NOW.isoformat()}_not-a-uuid").status_code == 400


def test_retry_now_delivers_the_entry_at_once_and_is_audited(
    admin_client, session, failing_creation, fake_lago
):
    held_id = uuid.UUID(failing_creation.payload["user_add_on_id"])

    response = admin_client.post(
        f"/admin/operations/outbox/{failing_creation.id}/retry",
        data={"back": "/admin/operations/?status=failing"},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/operations/?status=failing"
    session.expire_all()
    entry = session.get(BillingOutboxEntry, failing_creation.id)
    assert (entry.status, entry.attempts, entry.last_error) == ("delivered", 3, None)
    lago_id = fake_lago.subscriptions[str(held_id)]["lago_id"]
    assert session.get(UserAddOn, held_id).lago_subscription_id == lago_id
    audit = session.query(AdminAuditEntry).filter_by(action="outbox.retry").one()
    assert (audit.actor, audit.object_type, audit.object_id) == (
        "admin-ada", "billing_outbox", str(failing_creation.id),
    )  # fmt: skip
    assert audit.before["next_attempt_at"] == (NOW + timedelta(hours=1)).isoformat()
    assert audit.after["kind"] == CREATE_SUBSCRIPTION
    page = admin_client.get(response.headers["Location"])
    assert "Delivered." in page.text and str(failing_creation.id) not in page.text


def test_a_retry_that_fails_again_keeps_the_error_and_backs_off(
    admin_client, session, failing_creation, fake_lago
):
    fake_lago.down = True
    retried_at = datetime.now(UTC)

    response = admin_client.post(
        f"/admin/operations/outbox/{failing_creation.id}/retry", follow_redirects=True
    )

    assert "Tried again; it failed" in response.text
    session.expire_all()
    entry = session.get(BillingOutboxEntry, failing_creation.id)
    assert (entry.status, entry.attempts) == ("pending", 3)
    assert "503" in entry.last_error
    # Backed off from the retry (4 minutes after a third failure), not the old time.
    assert retried_at < entry.next_attempt_at < retried_at + timedelta(minutes=10)


def test_retrying_an_entry_that_is_not_pending_is_a_404(admin_client, session):
    done = owe(session, REFUND_PAYMENT, {"payment_reference": "pi_2"}, status="delivered")

    assert admin_client.post(f"/admin/operations/outbox/{done.id}/retry").status_code == 404
    assert admin_client.post(f"/admin/operations/outbox/{uuid.uuid4()}/retry").status_code == 404
    assert session.query(AdminAuditEntry).filter_by(action="outbox.retry").count() == 0


def test_stripe_events_newest_first_and_by_type(admin_client, session):
    session.add_all(
        [
            StripeEvent(id="evt_old", type="invoice.paid", processed_at=NOW - timedelta(days=2)),
            StripeEvent(id="evt_new", type="checkout.session.completed", processed_at=NOW),
        ]
    )
    session.commit()

    page = admin_client.get(EVENTS)
    paid = admin_client.get(EVENTS + "?type=invoice.paid", headers={"HX-Request": "true"})

    assert page.status_code == 200
    assert page.text.index("evt_new") < page.text.index("evt_old")
    assert "checkout.session.completed" in page.text and "Processed" in page.text
    assert "evt_old" in paid.text and "evt_new" not in paid.text and "<html" not in paid.text


def test_operations_are_for_admins_only(support_client):
    assert support_client.get(OUTBOX).status_code == 403
    assert support_client.get(EVENTS).status_code == 403


def test_the_stripe_events_page_reads_the_time_index_at_50k_events(session):
    session.execute(
        text(
            "INSERT INTO stripe_events (id, type, processed_at)"
            " SELECT 'evt_load_' || i, CASE WHEN i % 3 = 0 THEN 'invoice.paid'"
            "  ELSE 'checkout.session.completed' END, now() - i * interval '1 second'"
            " FROM generate_series(1, 50000) AS i"
        )
    )
    session.execute(text("ANALYZE stripe_events"))
    after = Cursor(NOW - timedelta(hours=1), "evt_load_1")

    for event_type in (None, "invoice.paid"):
        with recorded_statements(with_parameters=True) as sent:
            events_page(session, event_type, after)
        statement, parameters = sent[0]
        plan = session.connection().exec_driver_sql(
            "EXPLAIN (FORMAT JSON) " + statement, parameters
        )
        assert "idx_stripe_events_processed" in json.dumps(plan.scalar()), event_type
