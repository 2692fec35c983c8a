"""The public catalog over the API: lists, paging, one add-on, categories, bundles, quotes."""

from __future__ import annotations

from decimal import Decimal

from tests.integration.api.conftest import assert_problem

MONEY_999 = {"amount": "9.99", "currency": "USD"}


def test_add_ons_are_listed_in_featured_order_with_money_as_strings(client, catalog):
    response = client.get("/api/v1/add-ons", query_string={"limit": 3})

    assert response.status_code == 200
    body = response.json
    assert [item["slug"] for item in body["items"]] == [
        "unicorn-orator-tts",
        "amanuensis-stt",
        "brigade-agent-platform",
    ]
    first = body["items"][0]
    assert first["price"] == MONEY_999 and first["billing_type"] == "monthly"
    assert first["updated_at"].endswith("Z")
    assert body["total"] == 9  # the inactive add-on is not on sale
    assert body["next_cursor"]


def test_the_cursor_walks_every_add_on_once(client, catalog):
    seen, cursor = [], None
    while True:
        query = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/add-ons", query_string=query).json
        seen += [item["slug"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == 9 and len(set(seen)) == 9


def test_search_filter_and_sort(client, catalog):
    searched = client.get("/api/v1/add-ons", query_string={"q": "speech"}).json
    productivity = client.get(
        "/api/v1/add-ons", query_string={"category": "productivity", "sort": "price_desc"}
    ).json

    assert [item["slug"] for item in searched["items"]] == ["unicorn-orator-tts"]
    assert [item["price"]["amount"] for item in productivity["items"]] == [
        Decimal(item["price"]["amount"]).to_eng_string() for item in productivity["items"]
    ]
    prices = [Decimal(item["price"]["amount"]) for item in productivity["items"]]
    assert prices == sorted(prices, reverse=True) and len(prices) >= 2
    assert {item["category"] for item in productivity["items"]} == {"productivity"}


def test_bad_parameters_name_the_field(client, catalog):
    limit = assert_problem(client.get("/api/v1/add-ons?limit=101"), 422)
    category = assert_problem(client.get("/api/v1/add-ons?category=toys"), 422)
    cursor = assert_problem(client.get("/api/v1/add-ons?cursor=not-a-cursor"), 400)

    assert list(limit["errors"]) == ["limit"]
    assert list(category["errors"]) == ["category"]
    assert list(cursor["errors"]) == ["cursor"]


def test_catalog_reads_carry_an_etag_and_answer_304(client, catalog):
    first = client.get("/api/v1/add-ons")
    again = client.get("/api/v1/add-ons", headers={"If-None-Match": first.headers["ETag"]})
    other_page = client.get(
        "/api/v1/add-ons?limit=2", headers={"If-None-Match": first.headers["ETag"]}
    )

    assert first.headers["Cache-Control"] == "public, max-age=30"
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert other_page.status_code == 200


def test_a_catalog_change_changes_the_etag(client, session, catalog):
    before = client.get("/api/v1/add-ons/unicorn-orator-tts")
    catalog.tts.base_price = Decimal("11.00")
    session.commit()
    after = client.get(
        "/api/v1/add-ons/unicorn-orator-tts", headers={"If-None-Match": before.headers["ETag"]}
    )

    assert after.status_code == 200
    assert after.json["price"] == {"amount": "11.00", "currency": "USD"}


def test_one_add_on_with_its_tier_price_features_and_bundles(client, catalog):
    body = client.get("/api/v1/add-ons/unicorn-orator-tts").json

    assert body["name"] == "Unicorn Orator - TTS"
    assert body["tier"] is None and body["tier_price"] == MONEY_999
    assert body["tier_discount"] == {"amount": "0.00", "currency": "USD"}
    assert [bundle["name"] for bundle in body["bundles"]] == [
        "AI Productivity Bundle",
        "Enterprise Suite",
    ]
    assert "unicorn-orator-tts" in body["bundles"][0]["add_on_slugs"]


def test_a_missing_or_retired_add_on_is_a_404(client, catalog):
    assert_problem(client.get("/api/v1/add-ons/retired-voice-pack"), 404)
    assert_problem(client.get("/api/v1/add-ons/no-such-thing"), 404)


def test_categories_and_bundles(client, catalog):
    categories = client.get("/api/v1/categories").json["items"]
    bundles = client.get("/api/v1/bundles", query_string={"limit": 2}).json

    assert categories[0] == {"key": "ai-services", "label": "AI Services"}
    assert len(categories) == 5
    assert len(bundles["items"]) == 2 and bundles["next_cursor"]
    rest = client.get("/api/v1/bundles", query_string={"cursor": bundles["next_cursor"]}).json
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    priced = bundles["items"][0]
    assert Decimal(priced["price"]["amount"]) + Decimal(priced["saving"]["amount"]) == Decimal(
        priced["original_price"]["amount"]
    )


def test_a_quote_prices_like_the_cart(client, catalog):
    response = client.post(
        "/api/v1/quotes",
        json={"items": [{"slug": "unicorn-orator-tts", "quantity": 2}], "promo_code": "NOPE"},
    )

    body = response.json
    assert response.status_code == 200
    assert body["subtotal"] == {"amount": "19.98", "currency": "USD"}
    assert body["due_today"] == {"amount": "19.98", "currency": "USD"}
    assert body["periods"] == [
        {
            "billing_type": "monthly",
            "due_today": {"amount": "19.98", "currency": "USD"},
            "renewal": {"amount": "19.98", "currency": "USD"},
        }
    ]
    assert body["promo"]["applied"] is False and body["promo"]["message"]


def test_a_quote_for_an_unknown_add_on_names_the_item(client, catalog):
    response = client.post("/api/v1/quotes", json={"items": [{"slug": "ghost"}]})

    assert assert_problem(response, 404)["errors"] == {
        "items.0.slug": ["No add-on on sale has this slug."]
    }
