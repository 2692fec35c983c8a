"""Admin subscriptions: the searchable list (keyset pages), and each change through the HTTP
stack — cancel and suspend reaching the local Stripe and Lago through the outbox, extend,
reactivate, the complimentary grant (entitlements API, $0 order line) — with their refusals."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from marketplace.admin.keyset import Cursor
from marketplace.admin.subscriptions.queries import SubscriptionFilters, subscription_list
from marketplace.extensions import db
from marketplace.models import AddOnPurchase, AdminAuditEntry, Order, ShopperContact, UserAddOn
from tests.fixtures.database import recorded_statements
from tests.fixtures.fakes import stripe_config
from tests.fixtures.identity import API_TOKEN, feature, subscribe
from tests.fixtures.shoppers import HX, sign_in
from tests.integration.checkout.fakes import event
from tests.integration.checkout.steps import USER, holdings, open_checkout, post_webhook

LIST = "/admin/subscriptions/"
GRANT = "/admin/subscriptions/grant"
CONFLICT = "changed by someone else since you opened it — reload"
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def app_overrides(fake_stripe, fake_lago) -> dict:
    return {**stripe_config(fake_stripe, fake_lago), "MARKETPLACE_API_TOKENS": (API_TOKEN,)}


def page_of(subscription) -> str:
    return f"{LIST}{subscription.id}"


def token_in(html: str) -> str:
    match = re.search(r'name="token" type="hidden" value="([0-9a-f]{64})"', html)
    assert match, "no edit token in the page"
    return match.group(1)


def token_of(client, subscription, change: str | None = None) -> str:
    """The edit token the subscription's page (or a change's confirm step) carries now."""
    url = page_of(subscription) + (f"/{change}" if change else "")
    response = client.get(url)
    assert response.status_code == 200, response.text
    return token_in(response.text)


def fresh(subscription) -> UserAddOn:
    db.session.expire_all()
    return db.session.get(UserAddOn, subscription.id)


def audit_rows(action: str) -> list[AdminAuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AdminAuditEntry)
            .where(AdminAuditEntry.action == action)
            .order_by(AdminAuditEntry.id)
        )
    )


def features_of(client, user_id: str) -> list[str]:
    response = client.get(
        f"/api/v1/users/{user_id}/features", headers={"Authorization": f"Bearer {API_TOKEN}"}
    )
    assert response.status_code == 200
    return response.json["feature_keys"]


@pytest.fixture
def voices(session, catalog):
    """The TTS add-on enables the `voices` feature."""
    feature(session, catalog.tts, "voices", {"limit": 10})
    return catalog


@pytest.fixture
def paid_subscription(client, session, voices, fake_stripe, fake_lago) -> tuple[UserAddOn, str]:
    """USER bought TTS through the local Stripe (its Lago subscription created); the holding and
    its Stripe subscription id."""
    session_id = open_checkout(client, session, fake_stripe, voices.tts)
    paid = fake_stripe.complete(session_id)
    post_webhook(client, event("checkout.session.completed", paid))
    fake_stripe.requests.clear()
    held = holdings()[voices.tts.slug]
    assert fake_lago.subscriptions[str(held.id)]["status"] == "active"
    return held, paid["subscription"]


@pytest.fixture
def expiring(session, catalog) -> UserAddOn:
    """Uma's STT runs out in 10 days, renewing by no provider."""
    return subscribe(session, "uma", catalog.stt, expires_in_days=10, auto_renew=False)


# The list ----------------------------------------------------------------------------------------


def listed(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/admin/subscriptions/([0-9a-f-]{36})">', html)


def next_link(html: str) -> str | None:
    match = re.search(r'href="([^"]+)" hx-get="[^"]+"[^>]*>Next page', html)
    return match.group(1).replace("&amp;", "&") if match else None


@pytest.fixture
def many(session, catalog) -> list[UserAddOn]:
    """55 subscriptions, one a minute from T0 (newest last): TTS for u-000…u-039, STT for the
    rest; every fifth cancelled. u-007 signed in as ada.lovelace@example.com."""
    rows = [
        UserAddOn(
            user_id=f"u-{n:03}",
            add_on_id=(catalog.tts if n < 40 else catalog.stt).id,
            status="cancelled" if n % 5 == 0 else "active",
            created_at=T0 + timedelta(minutes=n),
        )
        for n in range(55)
    ]
    session.add_all(rows)
    session.add(ShopperContact(user_id="u-007", email="Ada.Lovelace@example.com"))
    session.commit()
    return rows


def test_the_list_pages_newest_first_with_pushed_links(admin_client, many):
    first = admin_client.get(LIST)
    second = admin_client.get(next_link(first.text))

    assert first.status_code == 200 and second.status_code == 200
    newest_first = [str(row.id) for row in reversed(many)]
    assert listed(first.text) == newest_first[:50]
    assert listed(second.text) == newest_first[50:]
    assert next_link(second.text) is None and "First page" in second.text
    assert 'hx-push-url="true"' in first.text


def test_the_list_searches_by_user_id_e_mail_add_on_and_status(admin_client, many, catalog):
    by_user = admin_client.get(LIST + "?q=u-042")
    by_email = admin_client.get(LIST + "?q=ada.LOVE")
    by_add_on = admin_client.get(f"{LIST}?add_on={catalog.stt.id}&status=cancelled")

    assert listed(by_user.text) == [str(many[42].id)]
    assert listed(by_email.text) == [str(many[7].id)]
    assert listed(by_add_on.text) == [str(many[50].id), str(many[45].id), str(many[40].id)]
    assert "No subscription matches these filters." in admin_client.get(LIST + "?q=nobody").text


def test_htmx_gets_the_results_alone_the_same_url_the_whole_page(admin_client, many):
    partial = admin_client.get(LIST + "?q=u-042", headers=HX)
    page = admin_client.get(LIST + "?q=u-042")

    assert listed(partial.text) == listed(page.text) == [str(many[42].id)]
    assert "<html" not in partial.text and "<html" in page.text
    assert "HX-Request" in partial.headers["Vary"]


def test_the_list_refuses_made_up_pages_and_filters(admin_client, many):
    assert admin_client.get(LIST + "?after=yesterday~x").status_code == 400
    assert admin_client.get(LIST + "?status=paused").status_code == 400
    assert admin_client.get(f"{LIST}?add_on={uuid.uuid4()}").status_code == 400


def test_support_may_not_open_subscriptions_nor_change_one(support_client, expiring):
    assert support_client.get(LIST).status_code == 403
    for url in (page_of(expiring) + "/cancel", page_of(expiring) + "/extend", GRANT):
        assert support_client.post(url, data={"token": "x"}).status_code == 403
    assert fresh(expiring).status == "active" and not audit_rows("subscription.cancel")


# Cancel -----------------------------------------------------------------------------------------


def test_cancel_asks_first_then_cancels_in_stripe_and_lago(
    admin_client, client, paid_subscription, fake_stripe, fake_lago
):
    held, stripe_id = paid_subscription
    assert features_of(client, USER) == ["voices"]
    confirm = admin_client.get(page_of(held) + "/cancel")
    assert confirm.status_code == 200 and "Yes, cancel" in confirm.text
    assert fresh(held).status == "active"  # the confirm step changes nothing

    response = admin_client.post(
        page_of(held) + "/cancel",
        data={"token": token_in(confirm.text), "reason": "Chargeback threatened"},
        buffered=True,  # closed as a WSGI server does: the outbox is delivered after it
    )

    assert response.status_code == 303 and response.headers["Location"] == page_of(held)
    after = fresh(held)
    assert (after.status, after.auto_renew, after.cancellation_reason) == (
        "cancelled", False, "Chargeback threatened",
    )  # fmt: skip
    assert fake_stripe.subscription_calls() == [("DELETE", stripe_id, {})]
    assert fake_lago.subscriptions[str(held.id)]["status"] == "terminated"
    assert features_of(client, USER) == []
    [entry] = audit_rows("subscription.cancel")
    assert (entry.actor, entry.object_type, entry.object_id) == (
        "admin-ada",
        "subscription",
        str(held.id),
    )
    assert entry.before == {"status": "active", "auto_renew": True, "cancelled_at": None,
                            "cancellation_reason": None}  # fmt: skip
    assert entry.after["status"] == "cancelled" and entry.after["reason"] == "Chargeback threatened"
    assert "was cancelled" in admin_client.get(page_of(held)).text


def test_cancel_with_htmx_redirects_and_a_second_cancel_is_refused(admin_client, expiring):
    token = token_of(admin_client, expiring, "cancel")

    done = admin_client.post(page_of(expiring) + "/cancel", data={"token": token}, headers=HX)
    again = admin_client.post(
        page_of(expiring) + "/cancel",
        data={"token": token_of(admin_client, expiring, "cancel")},
        headers=HX,
    )

    assert done.status_code == 200 and done.headers["HX-Redirect"] == page_of(expiring)
    assert again.status_code == 409
    assert "Amanuensis - STT is cancelled, so it can&#39;t be cancelled." in again.text
    assert 'id="confirm"' in again.text and "<html" not in again.text
    assert len(audit_rows("subscription.cancel")) == 1


def test_a_change_made_on_an_outdated_page_is_refused(admin_client, app, expiring):
    """Two admins open the subscription; the first extends it, the second then cancels."""
    other = sign_in(app.test_client(), "admin-bob", admin=True)
    stale = token_of(other, expiring, "cancel")
    extended = admin_client.post(
        page_of(expiring) + "/extend",
        data={"token": token_of(admin_client, expiring), "expires_at": "2099-01-01T00:00"},
    )
    assert extended.status_code == 303

    refused = other.post(page_of(expiring) + "/cancel", data={"token": stale, "reason": "x"})

    assert refused.status_code == 409 and CONFLICT in refused.text
    assert fresh(expiring).status == "active" and not audit_rows("subscription.cancel")


def test_a_change_without_its_token_is_refused(admin_client, expiring):
    response = admin_client.post(page_of(expiring) + "/suspend", data={})

    assert response.status_code == 422 and "Reload the page and try again." in response.text
    assert fresh(expiring).status == "active"


def test_a_subscription_that_does_not_exist_is_404(admin_client):
    missing = f"{LIST}{uuid.uuid4()}"
    assert admin_client.get(missing).status_code == 404
    assert admin_client.post(missing + "/cancel", data={"token": "x"}).status_code == 404
    assert admin_client.get(LIST + "not-a-uuid").status_code == 404


# Extend ------------------------------------------------------------------------------------------


def test_extend_moves_the_expiry_and_is_audited(admin_client, expiring):
    before = fresh(expiring).expires_at
    response = admin_client.post(
        page_of(expiring) + "/extend",
        data={
            "token": token_of(admin_client, expiring),
            "expires_at": "2030-02-28T18:30",
            "reason": "Outage compensation",
        },
    )

    assert response.status_code == 303
    assert fresh(expiring).expires_at == datetime(2030, 2, 28, 18, 30, tzinfo=UTC)
    [entry] = audit_rows("subscription.extend")
    assert entry.before == {"expires_at": before.isoformat()}
    assert entry.after == {
        "expires_at": "2030-02-28T18:30:00+00:00",
        "user_id": "uma",
        "add_on": "Amanuensis - STT",
        "reason": "Outage compensation",
    }
    assert "now runs until 2030-02-28 18:30 UTC" in admin_client.get(page_of(expiring)).text


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ("", "Enter a date and time (UTC), e.g. 2027-01-31T12:00."),
        ("31/12/2030", "Enter a date and time (UTC), e.g. 2027-01-31T12:00."),
        ("2200-01-01T00:00", "Pick a date from 2000-01-01 to 2099-12-31."),
        ("2026-01-01T00:00", "Choose a time after "),
    ],
)
def test_extend_refuses_bad_dates_with_the_fields_message(admin_client, expiring, sent, message):
    before = fresh(expiring).expires_at
    token = token_of(admin_client, expiring)

    page = admin_client.post(
        page_of(expiring) + "/extend", data={"token": token, "expires_at": sent}
    )
    partial = admin_client.post(
        page_of(expiring) + "/extend", data={"token": token, "expires_at": sent}, headers=HX
    )

    assert page.status_code == partial.status_code == 422
    assert message in page.text and "<html" in page.text
    assert message in partial.text
    assert 'id="extend-form"' in partial.text and "<html" not in partial.text
    assert 'aria-invalid="true"' in partial.text
    assert fresh(expiring).expires_at == before and not audit_rows("subscription.extend")


def test_extend_refuses_a_subscription_stripe_renews(admin_client, paid_subscription):
    held, _ = paid_subscription
    response = admin_client.post(
        page_of(held) + "/extend",
        data={"token": token_of(admin_client, held), "expires_at": "2099-01-01T00:00"},
    )

    assert response.status_code == 409
    assert "renews through Stripe, which sets its end at every renewal" in response.text


def test_extending_an_expired_subscription_makes_it_active(admin_client, session, catalog):
    lapsed = subscribe(session, "uma", catalog.gpu, status="expired", expires_in_days=-2)

    admin_client.post(
        page_of(lapsed) + "/extend",
        data={"token": token_of(admin_client, lapsed), "expires_at": "2031-01-01T00:00"},
    )

    assert (fresh(lapsed).status, fresh(lapsed).expires_at) == (
        "active", datetime(2031, 1, 1, tzinfo=UTC),
    )  # fmt: skip


# Suspend and reactivate -------------------------------------------------------------------------


def test_suspend_stops_features_and_stripe_renewal_reactivate_gives_them_back(
    admin_client, client, paid_subscription, fake_stripe
):
    held, stripe_id = paid_subscription

    suspended = admin_client.post(
        page_of(held) + "/suspend",
        data={"token": token_of(admin_client, held, "suspend"), "reason": "Abuse report"},
        buffered=True,
    )

    assert suspended.status_code == 303
    assert (fresh(held).status, fresh(held).auto_renew) == ("suspended", False)
    assert features_of(client, USER) == []
    assert [(m, s, f["cancel_at_period_end"]) for m, s, f in fake_stripe.subscription_calls()] == [
        ("POST", stripe_id, "true")
    ]
    confirm = admin_client.get(page_of(held) + "/reactivate")
    assert "Yes, reactivate" in confirm.text

    reactivated = admin_client.post(
        page_of(held) + "/reactivate", data={"token": token_in(confirm.text)}
    )

    assert reactivated.status_code == 303
    assert (fresh(held).status, fresh(held).auto_renew) == ("active", False)
    assert features_of(client, USER) == ["voices"]
    assert [e.after["status"] for e in audit_rows("subscription.suspend")] == ["suspended"]
    assert [e.after["status"] for e in audit_rows("subscription.reactivate")] == ["active"]


def test_suspend_and_reactivate_refuse_the_wrong_state(admin_client, session, catalog, expiring):
    ran_out = subscribe(session, "vic", catalog.gpu, status="suspended", expires_in_days=-1)

    reactivate_active = admin_client.post(
        page_of(expiring) + "/reactivate", data={"token": token_of(admin_client, expiring)}
    )
    reactivate_ran_out = admin_client.post(
        page_of(ran_out) + "/reactivate", data={"token": token_of(admin_client, ran_out)}
    )
    suspend_suspended = admin_client.post(
        page_of(ran_out) + "/suspend", data={"token": token_of(admin_client, ran_out)}
    )

    assert reactivate_active.status_code == 409 and "is active, so it can&#39;t be reactivated" in (
        reactivate_active.text
    )
    assert reactivate_ran_out.status_code == 409 and "extend it instead" in reactivate_ran_out.text
    assert suspend_suspended.status_code == 409
    assert (fresh(expiring).status, fresh(ran_out).status) == ("active", "suspended")


# Complimentary grant -----------------------------------------------------------------------------


def grant_form(user_id="gift-gail", add_on=None, expires_at="2030-01-01T00:00", reason="Beta"):
    return {"user_id": user_id, "add_on_id": str(add_on.id) if add_on else "",
            "expires_at": expires_at, "reason": reason}  # fmt: skip


def test_a_grant_is_an_active_add_on_a_zero_order_line_and_an_entitlement(
    admin_client, client, session, voices
):
    assert features_of(client, "gift-gail") == []
    form = admin_client.get(f"{GRANT}?user_id=gift-gail")
    assert form.status_code == 200 and 'value="gift-gail"' in form.text

    response = admin_client.post(GRANT, data=grant_form(add_on=voices.tts, reason="Beta tester"))

    assert response.status_code == 303
    held = holdings("gift-gail")[voices.tts.slug]
    assert (held.status, held.expires_at, held.auto_renew, held.stripe_subscription_id) == (
        "active", datetime(2030, 1, 1, tzinfo=UTC), False, None,
    )  # fmt: skip
    assert response.headers["Location"] == page_of(held)
    assert features_of(client, "gift-gail") == ["voices"]
    [line] = session.scalars(select(AddOnPurchase).where(AddOnPurchase.user_id == "gift-gail"))
    order = session.get(Order, line.order_id)
    assert (line.amount, line.status, line.granted_by, line.grant_reason) == (
        0, "completed", "admin-ada", "Beta tester",
    )  # fmt: skip
    assert (order.status, order.total, order.number is not None) == ("paid", 0, True)
    [entry] = audit_rows("subscription.grant")
    assert entry.object_id == str(held.id) and entry.before is None
    assert (entry.after["reason"], entry.after["order_number"]) == ("Beta tester", order.number)
    admin_order = admin_client.get(f"/admin/orders/{order.id}").text
    assert "complimentary, granted by admin-ada: Beta tester" in admin_order
    # The shopper sees a $0.00 order line for it.
    shopper = sign_in(client, "gift-gail")
    receipt = shopper.get(f"/account/orders/{order.id}")
    assert receipt.status_code == 200
    assert order.number in receipt.text and "Unicorn Orator - TTS" in receipt.text
    assert "$0.00" in receipt.text


def test_a_gift_in_place_of_a_paid_subscription_adds_nothing_to_mrr(
    admin_client, session, catalog, expiring
):
    expiring.recurring_amount, expiring.billing_type = 9, "monthly"  # what uma paid monthly
    token = token_of(admin_client, expiring, "cancel")
    admin_client.post(page_of(expiring) + "/cancel", data={"token": token})

    granted = admin_client.post(GRANT, data=grant_form(user_id="uma", add_on=catalog.stt))

    assert granted.status_code == 303
    held = fresh(expiring)
    assert (held.status, held.recurring_amount, held.billing_type) == ("active", 0, None)
    latest = session.execute(
        text("SELECT status, mrr FROM subscription_changes WHERE user_add_on_id = :id "
             "ORDER BY occurred_at DESC, id DESC LIMIT 1"), {"id": held.id}
    ).one()  # fmt: skip
    assert tuple(latest) == ("active", 0)


def test_a_grant_refuses_what_the_user_holds_and_bad_input(admin_client, voices, expiring):
    holds = admin_client.post(GRANT, data=grant_form(user_id="uma", add_on=voices.stt))
    no_reason = admin_client.post(GRANT, data=grant_form(add_on=voices.tts, reason=" "))
    past = admin_client.post(
        GRANT, data=grant_form(add_on=voices.tts, expires_at="2020-01-01T00:00")
    )
    no_add_on = admin_client.post(GRANT, data=grant_form(), headers=HX)
    no_user = admin_client.post(GRANT, data=grant_form(user_id="  ", add_on=voices.tts))
    retired = admin_client.post(GRANT, data={**grant_form(), "add_on_id": str(uuid.uuid4())})

    assert holds.status_code == 422 and "uma holds Amanuensis - STT already (active)" in holds.text
    assert no_reason.status_code == 422 and "Say why" in no_reason.text
    assert past.status_code == 422 and "Choose a time in the future." in past.text
    assert no_add_on.status_code == 422 and "Choose an add-on." in no_add_on.text
    assert 'id="grant-form"' in no_add_on.text and "<html" not in no_add_on.text
    assert no_user.status_code == 422 and "Enter the user id." in no_user.text
    assert retired.status_code == 422 and "Not a valid choice" in retired.text
    assert not audit_rows("subscription.grant")
    assert holdings("gift-gail") == {}


def test_a_cancelled_add_on_can_be_granted_again(admin_client, voices, expiring):
    admin_client.post(
        page_of(expiring) + "/cancel", data={"token": token_of(admin_client, expiring, "cancel")}
    )

    again = admin_client.post(GRANT, data=grant_form(user_id="uma", add_on=voices.stt))

    assert again.status_code == 303
    row = fresh(expiring)
    assert (row.status, row.cancelled_at, row.expires_at) == (
        "active", None, datetime(2030, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    [entry] = audit_rows("subscription.grant")
    assert entry.before["status"] == "cancelled"


# The customer page ---------------------------------------------------------------------------


def test_the_customer_page_offers_the_changes_to_admins_only(
    admin_client, support_client, expiring
):
    admin_page = admin_client.get("/admin/customers/uma").text
    support_page = support_client.get("/admin/customers/uma").text

    for link in (page_of(expiring), page_of(expiring) + "/suspend", page_of(expiring) + "/cancel",
                 f"{GRANT}?user_id=uma"):  # fmt: skip
        assert f'href="{link}"' in admin_page
        assert link not in support_page


# The indexes the lists read (migration 014) -------------------------------------------------------


def plan_of(session, run) -> str:
    """The planner's plan (JSON text) of the first statement `run` sends."""
    with recorded_statements(with_parameters=True) as sent:
        run()
    statement, parameters = sent[0]
    connection = session.connection()
    return json.dumps(
        connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
    )


def test_each_list_order_reads_its_index_at_50k_subscriptions(session, catalog):
    session.execute(
        text(
            "INSERT INTO user_add_ons (user_id, add_on_id, status, created_at)"
            " SELECT 'load-' || i, CASE WHEN i % 2 = 0 THEN :tts ELSE :stt END,"
            "  CASE WHEN i % 10 = 0 THEN 'cancelled' ELSE 'active' END,"
            "  now() - i * interval '1 minute'"
            " FROM generate_series(1, 50000) AS i"
        ),
        {"tts": catalog.tts.id, "stt": catalog.stt.id},
    )
    session.execute(text("ANALYZE user_add_ons"))
    after = Cursor(datetime.now(UTC) - timedelta(days=10), uuid.UUID(int=0))  # page ~290

    def listing(**filters):
        return lambda: subscription_list(session, SubscriptionFilters(**filters), after)

    assert "idx_user_add_ons_created" in plan_of(session, listing())
    assert "idx_user_add_ons_status_created" in plan_of(session, listing(status="cancelled"))
    assert "idx_user_add_ons_add_on_created" in plan_of(session, listing(add_on_id=catalog.tts.id))
