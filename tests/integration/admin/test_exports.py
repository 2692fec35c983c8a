"""CSV exports: each one's rows and filters, streamed, formula-safe, audited; support may take
orders and customers only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from marketplace.models import (
    AddOnPurchase,
    AdminAuditEntry,
    Order,
    PromotionalCode,
    ShopperContact,
    UserAddOn,
)
from marketplace.models.orders import PurchaseDiscount

EXPORTS = "/admin/exports/"
EVIL = '=HYPERLINK("http://x","y")'  # a user id a spreadsheet would run
MARCH = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
APRIL = datetime(2026, 4, 10, 9, 30, tzinfo=UTC)


def rows_of(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))


@pytest.fixture
def sales(session, add_ons) -> dict[str, object]:
    """Zoë bought the TTS add-on in March (order MKT-2026-000042, code SAVE20 took 2.00) and
    the STT one in April, refunded 5.00 of it; a formula-shaped user's April checkout failed;
    Zoë holds TTS, the formula user cancelled STT."""
    tts, stt = add_ons["unicorn-orator-tts"], add_ons["amanuensis-stt"]
    code = PromotionalCode(code="SAVE20", discount_type="fixed_amount", discount_value=2)
    order = Order(number="MKT-2026-000042", user_id="zoë", subtotal=Decimal("11.99"),
                  total=Decimal("9.99"), paid_at=MARCH, status="paid")  # fmt: skip
    session.add_all([code, order])
    session.flush()
    bought = AddOnPurchase(
        user_id="zoë", add_on_id=tts.id, amount=Decimal("9.99"), status="completed",
        purchased_at=MARCH, completed_at=MARCH, order_id=order.id, promo_code_id=code.id,
        discount_amount=Decimal("2.00"), stripe_payment_id="pi_1",
    )  # fmt: skip
    refunded = AddOnPurchase(
        user_id="zoë", add_on_id=stt.id, amount=Decimal("12.50"), status="refunded",
        purchased_at=APRIL, refund_amount=Decimal("5.00"), refunded_at=APRIL,
    )  # fmt: skip
    failed = AddOnPurchase(user_id=EVIL, add_on_id=stt.id, amount=Decimal("12.50"),
                           status="failed", purchased_at=APRIL)  # fmt: skip
    session.add_all([bought, refunded, failed])
    session.flush()
    session.add(PurchaseDiscount(purchase_id=bought.id, kind="promo", label="Code SAVE20",
                                 amount=Decimal("2.00")))  # fmt: skip
    session.add_all([
        UserAddOn(user_id="zoë", add_on_id=tts.id, purchased_at=MARCH, auto_renew=True),
        UserAddOn(user_id=EVIL, add_on_id=stt.id, status="cancelled", auto_renew=False,
                  cancellation_reason="+1 too expensive", purchased_at=APRIL),
    ])  # fmt: skip
    session.add(ShopperContact(user_id="zoë", email="zoe@example.test", name="Zoë"))
    session.commit()
    return {"tts": tts, "stt": stt, "bought": bought, "refunded": refunded, "failed": failed}


def test_purchases_export_streams_every_line_as_csv(admin_client, sales):
    response = admin_client.get(EXPORTS + "purchases.csv")

    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="purchases-{today}.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    rows = {row["Purchase id"]: row for row in rows_of(response)}
    assert set(rows) == {str(sales[k].id) for k in ("bought", "refunded", "failed")}
    bought = rows[str(sales["bought"].id)]
    assert bought["Order number"] == "MKT-2026-000042"
    assert bought["User id"] == "zoë"  # UTF-8
    assert (bought["Amount"], bought["Discount"], bought["Currency"]) == ("9.99", "2.00", "USD")
    assert bought["Purchased at (UTC)"] == "2026-03-01T12:00:00Z"
    assert (bought["Add-on slug"], bought["Billing"], bought["Quantity"]) == (
        "unicorn-orator-tts", "monthly", "1",
    )  # fmt: skip
    assert (bought["Promo code"], bought["Payment reference"]) == ("SAVE20", "pi_1")
    refunded = rows[str(sales["refunded"].id)]
    assert (refunded["Order number"], refunded["Refunded"]) == ("", "5.00")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=completed", {"bought"}),
        ("add_on=amanuensis-stt", {"refunded", "failed"}),
        ("user=zo%C3%AB", {"bought", "refunded"}),
        ("since=2026-04-10&until=2026-04-10", {"refunded", "failed"}),
        ("until=2026-03-31", {"bought"}),
        ("status=refunded&user=zo%C3%AB&since=2026-04-01", {"refunded"}),
        ("user=nobody", set()),
    ],
)
def test_purchases_export_keeps_the_list_filters(admin_client, sales, query, expected):
    rows = rows_of(admin_client.get(f"{EXPORTS}purchases.csv?{query}"))

    assert {row["Purchase id"] for row in rows} == {str(sales[k].id) for k in expected}


def test_an_add_on_is_named_by_id_as_well_as_by_slug(admin_client, sales):
    rows = rows_of(admin_client.get(f"{EXPORTS}purchases.csv?add_on={sales['tts'].id}"))

    assert [row["Purchase id"] for row in rows] == [str(sales["bought"].id)]


def test_cells_a_spreadsheet_would_run_get_a_leading_apostrophe(admin_client, sales):
    purchases = rows_of(admin_client.get(EXPORTS + "purchases.csv?status=failed"))
    subscriptions = rows_of(admin_client.get(EXPORTS + "subscriptions.csv?status=cancelled"))

    assert purchases[0]["User id"] == "'" + EVIL
    assert subscriptions[0]["User id"] == "'" + EVIL
    assert subscriptions[0]["Cancellation reason"] == "'+1 too expensive"
    # Amounts are numbers, not text: left as they are.
    assert purchases[0]["Amount"] == "12.50"


def test_subscriptions_export_and_its_filters(admin_client, sales):
    rows = rows_of(admin_client.get(EXPORTS + "subscriptions.csv"))
    active = rows_of(admin_client.get(EXPORTS + "subscriptions.csv?status=active"))
    by_add_on = rows_of(admin_client.get(EXPORTS + "subscriptions.csv?add_on=amanuensis-stt"))

    assert len(rows) == 2
    assert [(r["User id"], r["Add-on"], r["Renews"], r["Since (UTC)"]) for r in active] == [
        ("zoë", sales["tts"].name, "yes", "2026-03-01T12:00:00Z")
    ]
    assert [r["Status"] for r in by_add_on] == ["cancelled"]
    assert (
        rows_of(admin_client.get(EXPORTS + "subscriptions.csv?user=zo%C3%AB"))[0][
            "Expires at (UTC)"
        ]
        == ""
    )


def test_customers_export_sums_each_users_paid_purchases(admin_client, sales):
    rows = {r["User id"]: r for r in rows_of(admin_client.get(EXPORTS + "customers.csv"))}

    assert set(rows) == {"zoë", "'" + EVIL}
    zoe = rows["zoë"]
    assert (zoe["First purchase (UTC)"], zoe["Last purchase (UTC)"]) == (
        "2026-03-01T12:00:00Z", "2026-04-10T09:30:00Z",
    )  # fmt: skip
    assert (zoe["Purchases"], zoe["Charged"], zoe["Refunded"], zoe["Net"]) == (
        "2", "22.49", "5.00", "17.49",
    )  # fmt: skip
    assert (zoe["Active subscriptions"], zoe["Subscriptions"]) == ("1", "1")
    # A failed checkout is no purchase; the cancelled subscription still makes a customer.
    evil = rows["'" + EVIL]
    assert (evil["Purchases"], evil["Charged"], evil["Net"], evil["Subscriptions"]) == (
        "0", "0.00", "0.00", "1",
    )  # fmt: skip
    # The address the user last signed in with; none known for one who never signed in here.
    assert (zoe["E-mail"], evil["E-mail"]) == ("zoe@example.test", "")


def test_customers_export_header_names_the_e_mail_column(admin_client):
    response = admin_client.get(EXPORTS + "customers.csv")

    assert response.data.decode().splitlines() == [
        "User id,E-mail,First purchase (UTC),Last purchase (UTC),Purchases,Charged,Refunded,Net,"
        "Active subscriptions,Subscriptions"
    ]


def test_customers_export_over_a_date_range(admin_client, sales):
    rows = rows_of(admin_client.get(EXPORTS + "customers.csv?since=2026-04-01"))

    assert [(r["User id"], r["Purchases"], r["Charged"]) for r in rows] == [("zoë", "1", "12.50")]


def test_promo_redemptions_export(admin_client, sales):
    rows = rows_of(admin_client.get(EXPORTS + "promo-redemptions.csv"))
    by_code = rows_of(admin_client.get(EXPORTS + "promo-redemptions.csv?code=save20"))
    other = rows_of(admin_client.get(EXPORTS + "promo-redemptions.csv?code=OTHER"))

    assert rows == by_code
    assert [
        (r["Code"], r["User id"], r["Order number"], r["Promo discount"], r["Purchased at (UTC)"])
        for r in rows
    ] == [("SAVE20", "zoë", "MKT-2026-000042", "2.00", "2026-03-01T12:00:00Z")]
    assert other == []


def test_every_export_is_audited_with_its_filters(admin_client, session, sales):
    admin_client.get(EXPORTS + "purchases.csv?status=completed&user=zo%C3%AB")
    admin_client.get(EXPORTS + "customers.csv")

    entries = session.query(AdminAuditEntry).filter_by(object_type="export").all()
    found = {(e.action, e.object_id, e.actor): e.after for e in entries}
    assert found == {
        ("export.purchases", "purchases", "admin-ada"): {
            "filters": {"status": "completed", "user": "zoë"}
        },
        ("export.customers", "customers", "admin-ada"): {"filters": {}},
    }


def test_bad_filters_are_a_400_with_the_fields_message(admin_client, sales, session):
    backwards = admin_client.get(EXPORTS + "purchases.csv?since=2026-04-02&until=2026-04-01")
    not_a_date = admin_client.get(EXPORTS + "customers.csv?since=yesterday")
    no_status = admin_client.get(EXPORTS + "subscriptions.csv?status=lost")

    assert backwards.status_code == 400 and "before the start date" in backwards.text
    assert not_a_date.status_code == 400 and not_a_date.headers["Content-Type"].startswith(
        "text/html"
    )
    assert no_status.status_code == 400
    assert session.query(AdminAuditEntry).filter_by(object_type="export").count() == 0


def test_support_may_export_orders_and_customers_only(support_client, sales):
    page = support_client.get(EXPORTS)

    assert page.status_code == 200
    assert "/admin/exports/purchases.csv" in page.text
    assert "/admin/exports/customers.csv" in page.text
    assert "subscriptions.csv" not in page.text and "promo-redemptions.csv" not in page.text
    assert len(rows_of(support_client.get(EXPORTS + "purchases.csv"))) == 3
    assert len(rows_of(support_client.get(EXPORTS + "customers.csv"))) == 2
    assert support_client.get(EXPORTS + "subscriptions.csv").status_code == 403
    assert support_client.get(EXPORTS + "promo-redemptions.csv").status_code == 403


def test_the_admin_sees_every_export(admin_client):
    page = admin_client.get(EXPORTS).text

    for name in ("purchases", "subscriptions", "customers", "promo-redemptions"):
        assert f'action="/admin/exports/{name}.csv"' in page
    assert 'href="/admin/exports/"' in page  # the menu


def test_an_export_of_nothing_is_its_header_row(admin_client):
    response = admin_client.get(EXPORTS + "promo-redemptions.csv")

    assert response.data.decode().splitlines() == [
        "Code,User id,Order number,Add-on,Purchased at (UTC),Status,Amount,Promo discount,"
        "Total discount,Currency"
    ]


def test_dates_in_filters_are_utc_days(admin_client, sales):
    day = date(2026, 3, 1).isoformat()
    rows = rows_of(admin_client.get(f"{EXPORTS}purchases.csv?since={day}&until={day}"))

    assert [r["Purchase id"] for r in rows] == [str(sales["bought"].id)]
