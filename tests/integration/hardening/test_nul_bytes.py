"""NUL bytes in a path, a query parameter or a form field are a 400 before any SQL runs, and
only form bodies are read: a webhook's raw body is left to the webhook."""

from __future__ import annotations

import io
import json

import pytest

from tests.fixtures.catalog import put_in_cart
from tests.fixtures.shoppers import ANON_OWNER, HX, sign_in
from tests.integration.checkout.fakes import sign
from tests.integration.hardening.inputs import API_TOKEN

BEARER = {"Authorization": f"Bearer {API_TOKEN}"}

# (method, URL, test-client keyword arguments, where the message says the NUL is)
NUL_REQUESTS = [
    ("post", "/cart/promo", {"data": {"code": "A\x00B"}}, 'form field "code"'),
    ("post", "/cart/promo", {"data": {"co\x00de": "A"}}, 'form field "co%00de"'),
    (
        "post",
        "/cart/promo",
        {"data": {"code": "A\x00B"}, "content_type": "multipart/form-data"},
        'form field "code"',
    ),
    (
        "post",
        "/cart/promo",
        {"data": {"code": "A", "upload": (io.BytesIO(b"\x00 is fine in a file"), "a\x00.txt")}},
        'file field "upload"',
    ),
    ("get", "/account/purchases?q=%00", {}, 'query parameter "q"'),
    ("get", "/account/purchases?status=completed&q%00=x", {}, 'query parameter "q%00"'),
    ("get", "/api/v1/users/%00/features", {"headers": BEARER}, "the address"),
    ("get", "/checkout/success?session_id=%00", {}, 'query parameter "session_id"'),
    ("get", "/checkout/test-payment/a%00b", {}, "the address"),
    ("post", "/checkout/test-payment/a%00b", {"data": {"action": "pay"}}, "the address"),
    ("get", "/add-ons/bad%00slug", {}, "the address"),
    ("get", "/?q=%00", {}, 'query parameter "q"'),
    ("post", "/cart/items", {"data": {"add_on_id": "\x00", "quantity": "1"}}, 'field "add_on_id"'),
]


@pytest.mark.parametrize(("method", "url", "kwargs", "where"), NUL_REQUESTS)
def test_a_nul_byte_is_a_400_naming_where_before_any_sql(
    client, catalog, sql_log, method, url, kwargs, where
):
    sign_in(client)
    headers = {**HX, **kwargs.pop("headers", {})}
    with sql_log() as statements:
        response = getattr(client, method)(url, headers=headers, **kwargs)

    assert response.status_code == 400
    assert statements == []  # refused before any view, form or query ran
    if url.startswith("/api/"):
        assert response.mimetype == "application/problem+json"
        assert response.json["title"] == "Bad Request" and where in response.json["detail"]
    else:  # htmx: the message alone, for the place the shopper acted
        html = response.get_data(as_text=True)
        assert html.startswith('<div class="alert alert--error" role="alert">')
        assert "NUL byte (%00)" in html and where.replace('"', "&#34;") in html


@pytest.mark.parametrize(
    ("url", "data"),
    [("/account/purchases?q=%00", None), ("/checkout/test-payment/a%00b", None)],
)
def test_a_page_request_gets_the_styled_error_page(client, catalog, url, data):
    sign_in(client)
    response = client.get(url)

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<h1 id="error-title" class="error-page__title">Bad Request</h1>' in html
    assert "NUL byte (%00)" in html and "<html" in html


@pytest.mark.parametrize(
    "body",
    [{"code": "A\x00B"}, "LAUNCH2025", {"code": {"nested": 1}}, [["code", "LAUNCH2025"]]],
)
def test_a_form_view_refuses_a_json_body_unread(anonymous_client, catalog, sql_log, body):
    # FlaskForm would take JSON as its form data, unchecked (a NUL, a string, an object).
    with sql_log() as statements:
        response = anonymous_client.post("/cart/promo", json=body, headers=HX)

    assert response.status_code == 415
    assert statements == []
    assert "takes form data" in response.get_data(as_text=True)


def test_a_form_without_nul_bytes_goes_through(anonymous_client, session, catalog):
    put_in_cart(session, ANON_OWNER, catalog.tts)
    for content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        response = anonymous_client.post(
            "/cart/promo", data={"code": "LAUNCH2025"}, content_type=content_type, headers=HX
        )
        assert response.status_code == 200
        assert "Code LAUNCH2025 applied" in response.get_data(as_text=True)


def test_a_post_without_a_body_or_content_type_goes_through(anonymous_client, catalog):
    response = anonymous_client.post("/cart/promo/delete", headers=HX)

    assert response.status_code == 200


def test_the_webhook_body_is_not_parsed_by_the_guard(client):
    # Unsigned, with a NUL: the webhook's own answer (bad signature), not the guard's 400 page.
    payload = b'{"id": "evt_\\u0000", "type": "checkout.session.completed"}'
    unsigned = client.post(
        "/webhooks/stripe", data=payload, headers={"Content-Type": "application/json"}
    )
    assert unsigned.status_code == 400 and unsigned.json == {"error": "invalid signature"}

    # Form-encoded with a NUL: still the webhook's raw bytes, never parsed as a form.
    form = b"id=evt_%00&type=x"
    as_form = client.post(
        "/webhooks/stripe",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Stripe-Signature": "x"},
    )
    assert as_form.status_code == 400 and as_form.json == {"error": "invalid signature"}

    # Signed, with a NUL in a string: read in full and handled (an event type it ignores).
    event = {"id": "evt_nul", "type": "ping.\x00", "data": {"object": {}}}
    body = json.dumps(event).encode()
    signed = client.post(
        "/webhooks/stripe",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(body)},
    )
    assert signed.status_code == 200 and signed.json == {"received": True}
