"""The analytics page, its JSON and CSV, on the hand-computed history of analytics_history.py,
through HTTP on PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from marketplace.models import SubscriptionChange
from marketplace.models.base import utcnow
from tests.integration.admin.analytics_history import D, held

FEBRUARY = "range=custom&start=2026-02-01&end=2026-02-28&by=month"
JANUARY = "range=custom&start=2026-01-01&end=2026-01-31&by=month"


def report(client, query: str) -> dict:
    response = client.get(f"/admin/analytics.json?{query}")
    assert response.status_code == 200, response.text
    return response.get_json()


def kpis(body: dict) -> dict[str, tuple]:
    return {key: (kpi["value"], kpi["previous"]) for key, kpi in body["kpis"].items()}


def test_the_recurring_amount_is_stored_at_fulfilment(session, history):
    voice, docs, gpu = history["voice"], history["docs"], history["gpu"]
    # Tier price kept, the one-off promo added back: renews at $18.00, not $13.00 charged.
    ann_voice = held(session, "ann", voice)
    assert (ann_voice.recurring_amount, ann_voice.billing_type) == (D("18.00"), "monthly")
    assert held(session, "ann", docs).recurring_amount == D("108.00")
    assert held(session, "ben", gpu).recurring_amount == D("9.00")
    assert held(session, "dan", history["lifetime"]).recurring_amount == D("0.00")
    # Ann's history: Voice 18.00 and Docs 9.00 from Jan 5; Docs suspended (refunded) on Feb 20.
    rows = (
        session.query(SubscriptionChange)
        .filter_by(user_id="ann")
        .order_by(SubscriptionChange.occurred_at, SubscriptionChange.mrr)
        .all()
    )
    assert [(r.occurred_at.day, r.status, r.mrr) for r in rows] == [
        (5, "active", D("9.00")),
        (5, "active", D("18.00")),
        (3, "active", D("15.00")),
        (20, "suspended", D("0.00")),
    ]


def test_february_kpis_against_january(support_client, history):
    body = report(support_client, FEBRUARY)
    assert body["range"] == {"start": "2026-02-01", "end": "2026-02-28"}
    assert body["previous"] == {"start": "2026-01-04", "end": "2026-01-31"}
    assert body["as_of"] == "2026-02-27T12:00:00+00:00"
    assert kpis(body) == {
        "mrr": ("68.00", "56.00"),
        "arr": ("816.00", "672.00"),
        "subscribers": (3, 3),
        "arpu": ("22.67", "18.67"),
        # Cash: 15 + 49 + 15 + 20 charged, 108 refunded; January: 13 + 108 + 9 + 20.
        "revenue": ("-9.00", "150.00"),
        "new_subscribers": (2, 3),
        # Jan 30 – Feb 28: 2 churned ÷ (3 at the start + Cat new + Ben back); (29 + 9) ÷ 56.
        "churn_rate": ("0.4000", "0.0000"),
        "revenue_churn": ("0.6786", "0.0000"),
        "conversion": ("0.0000", "0.0000"),
    }


def test_february_mrr_movements_reconcile(support_client, history):
    table = report(support_client, FEBRUARY)["tables"]["mrr"]
    assert table["columns"] == [
        "Period from", "MRR at start", "New", "Reactivation", "Expansion", "Contraction",
        "Churned", "MRR at end",
    ]  # fmt: skip
    assert table["rows"] == [
        ["2026-02-01", "56.00", "15.00", "20.00", "15.00", "-9.00", "-29.00", "68.00"]
    ]


def test_january_by_day_has_every_day_and_the_new_subscribers(support_client, history):
    rows = report(support_client, JANUARY.replace("by=month", "by=day"))["tables"]["mrr"]["rows"]
    assert len(rows) == 31
    assert rows[4] == ["2026-01-05", "0.00", "27.00", "0.00", "0.00", "0.00", "0.00", "27.00"]
    assert rows[-1][-1] == "56.00"


def test_revenue_by_period_add_on_category_and_billing_type(support_client, history):
    tables = report(support_client, FEBRUARY)["tables"]
    assert tables["revenue"]["rows"] == [["2026-02-01", "99.00", "108.00", "-9.00"]]
    assert tables["revenue-by-add-on"]["rows"] == [
        ["Lifetime", "49.00", "0.00", "49.00"],
        ["Ocr", "30.00", "0.00", "30.00"],
        ["Voice", "20.00", "0.00", "20.00"],
        ["Docs", "0.00", "108.00", "-108.00"],
    ]
    assert tables["revenue-by-category"]["rows"] == [
        ["development", "49.00", "0.00", "49.00"],
        ["ai-services", "20.00", "0.00", "20.00"],
        ["productivity", "30.00", "108.00", "-78.00"],
    ]
    by_type = tables["revenue-by-billing-type"]["rows"]
    assert sum(Decimal(row[3]) for row in by_type) == Decimal("-9.00")


def test_promo_and_bundle_performance(support_client, history):
    tables = report(support_client, JANUARY)["tables"]
    # SAVE5: one checkout, paid, $5.00 off, $13.00 kept, Ann's first purchase.
    assert tables["promo-codes"]["rows"] == [["SAVE5", 1, 1, 0, "5.00", "13.00", "100.0"]]
    # The Starter Bundle's one order: $12.00 saved, refunded since; nobody holds both now.
    assert tables["bundles"]["rows"] == [["Starter Bundle", 1, "12.00", "0.00", "0.0"]]


def test_add_ons_by_mrr_and_subscribers(support_client, history):
    tables = report(support_client, FEBRUARY)["tables"]
    # Now: Voice Ann 18 + Ben 20 (Eve's grant: 0), OCR Ann 15 + Cat 15, Lifetime (Dan) 0.
    assert tables["top-mrr"]["rows"] == [
        ["Voice", "38.00", 3],
        ["Ocr", "30.00", 2],
        ["Lifetime", "0.00", 1],
    ]


def test_expiring_in_30_days_with_renewal_off(session, support_client, history):
    voice = held(session, "cat", history["ocr"])
    voice.expires_at = utcnow() + timedelta(days=3)
    voice.auto_renew = False
    session.commit()
    body = report(support_client, FEBRUARY)
    assert body["expiring"] == {"count": 1, "mrr": "15.00"}
    assert [row[:2] for row in body["tables"]["expiring"]["rows"]] == [["cat", "Ocr"]]


def test_the_page_shows_tiles_charts_tables_and_the_notes(support_client, history):
    response = support_client.get(f"/admin/analytics?{FEBRUARY}")
    assert response.status_code == 200
    html = response.text
    assert "as of <time" in html and "2026-02-27 12:00 UTC" in html
    assert "<dd>$68.00</dd>" in html and "vs $56.00" in html
    for key in ("mrr", "revenue", "revenue-by-add-on", "funnel"):
        assert f'data-table="analytics-table-{key}"' in html
        assert f'id="analytics-table-{key}"' in html
        assert f"/admin/analytics/{key}.csv?" in html
    assert "How this is computed" in html and "Stripe" in html
    assert "js/chart.umd.min.js" in html


def test_htmx_gets_the_report_partial_and_the_url_is_the_full_page(support_client, history):
    partial = support_client.get(f"/admin/analytics?{FEBRUARY}", headers={"HX-Request": "true"})
    assert "<html" not in partial.text and "$68.00" in partial.text
    assert 'id="analytics-report"' not in partial.text
    assert "HX-Request" in partial.headers["Vary"]


def test_csv_download_is_the_table(support_client, history):
    response = support_client.get(f"/admin/analytics/revenue-by-add-on.csv?{FEBRUARY}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        'filename="analytics-revenue-by-add-on-2026-02-01-2026-02-28.csv"'
        in (response.headers["Content-Disposition"])
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["Add-on", "Charged", "Refunded", "Net"]
    assert rows[-1] == ["Docs", "0.00", "108.00", "-108.00"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("range=custom&start=2026-02-01", "A custom range needs both a start and an end date."),
        ("range=custom&start=2026-03-01&end=2026-02-01", "The range ends before it starts."),
        ("range=custom&start=2020-01-01&end=2026-02-01", "A range spans at most three years."),
        ("range=week", "Not a valid choice."),
        ("range=30d&by=year", "Not a valid choice."),
        ("range=custom&start=2026-02-31&end=2026-03-01", "Not a valid date value."),
    ],
)
def test_a_bad_range_is_a_400_with_the_reason(support_client, query, message):
    for url in (f"/admin/analytics?{query}", f"/admin/analytics.json?{query}"):
        response = support_client.get(url)
        assert response.status_code == 400
        assert message in response.text


def test_an_unknown_table_is_a_404(support_client):
    assert support_client.get("/admin/analytics/nothing.csv").status_code == 404


def test_presets_answer_for_an_empty_shop(admin_client):
    for preset in ("30d", "90d", "12m"):
        body = report(admin_client, f"range={preset}")
        assert body["kpis"]["mrr"]["value"] == "0.00"
        assert body["as_of"] is None
    page = admin_client.get("/admin/analytics")
    assert "have not been refreshed yet" in page.text


def test_a_shopper_may_not_open_analytics(shopper_client):
    for url in ("/admin/analytics", "/admin/analytics.json", "/admin/analytics/mrr.csv"):
        assert shopper_client.get(url).status_code == 403


def test_the_menu_offers_analytics_to_support(support_client):
    assert 'href="/admin/analytics"' in support_client.get("/admin/").text
