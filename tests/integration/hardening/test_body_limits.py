"""Request bodies are bounded: forms at MAX_FORM_BYTES (64 KB), the Stripe webhook at
MAX_WEBHOOK_BYTES (1 MB); a larger body is a 413 before it is read, and a chunked or lying one
is cut at the limit by werkzeug's limited stream."""

from __future__ import annotations

import io
import json

import pytest

from marketplace.config import Settings
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.database import make_app, rolled_back
from tests.fixtures.shoppers import ANON_OWNER, HX
from tests.integration.checkout.fakes import sign
from tests.integration.hardening.inputs import CountingStream

FORM_LIMIT = 64 * 1024
WEBHOOK_LIMIT = 1024 * 1024
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
CHUNKED = {"wsgi.input_terminated": True}  # how a WSGI server hands over a chunked body


def post_stream(client, url: str, stream: CountingStream, *, content_length, content_type, **kw):
    """POST `stream` with `Content-Length: content_length` (true or not), or chunked if None."""
    headers = kw.pop("headers", {})
    environ = kw.pop("environ_overrides", {})
    if content_length is None:
        headers = {**headers, "Transfer-Encoding": "chunked"}
    else:
        environ = {**environ, "CONTENT_LENGTH": str(content_length)}
    return client.post(
        url,
        input_stream=stream,
        content_type=content_type,
        headers=headers,
        environ_overrides=environ,
        **kw,
    )


def post_chunked(client, url: str, stream: CountingStream, *, content_type: str):
    """POST `stream` chunked, as a WSGI server hands such a body over (no Content-Length)."""
    return post_stream(
        client,
        url,
        stream,
        content_length=None,
        content_type=content_type,
        environ_overrides=CHUNKED,
    )


def test_a_form_over_64_kb_is_a_413_page_before_it_is_read(anonymous_client, catalog):
    body = CountingStream(FORM_LIMIT + 1, prefix=b"code=")
    response = post_stream(
        anonymous_client, "/cart/promo", body, content_length=body.size, content_type=FORM
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert body.bytes_read == 0
    assert '<h1 id="error-title" class="error-page__title">Request Entity Too Large</h1>' in html
    assert "larger than 64 KB, the most this address accepts" in html


def test_a_form_over_64_kb_for_htmx_is_the_message_alone(anonymous_client, catalog):
    body = CountingStream(300 * 1024 * 1024, prefix=b"code=")  # 300 MB, never read
    response = post_stream(
        anonymous_client,
        "/cart/promo",
        body,
        content_length=body.size,
        content_type=FORM,
        headers=HX,
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 413 and body.bytes_read == 0
    assert html.startswith('<div class="alert alert--error"') and "64 KB" in html


def test_a_form_at_the_limit_is_read(anonymous_client, session, catalog):
    put_in_cart(session, ANON_OWNER, catalog.tts)
    padding = "x" * (FORM_LIMIT - len("code=LAUNCH2025&pad="))
    response = anonymous_client.post(
        "/cart/promo", data=f"code=LAUNCH2025&pad={padding}", content_type=FORM, headers=HX
    )

    assert response.status_code == 200
    assert "Code LAUNCH2025 applied" in response.get_data(as_text=True)


def test_a_chunked_form_is_cut_at_the_limit(anonymous_client, catalog):
    body = CountingStream(10 * FORM_LIMIT, prefix=b"code=")
    response = post_chunked(anonymous_client, "/cart/promo", body, content_type=FORM)

    assert response.status_code == 413
    assert "larger than 64 KB" in response.get_data(as_text=True)
    assert body.bytes_read <= 2 * FORM_LIMIT  # the limit plus at most one read-ahead chunk


def test_a_form_with_a_lying_content_length_is_read_only_that_far(anonymous_client, catalog):
    body = CountingStream(10 * FORM_LIMIT, prefix=b"code=ABCDEFGHIJKLMNOP")
    response = post_stream(
        anonymous_client, "/cart/promo", body, content_length=9, content_type=FORM, headers=HX
    )

    assert body.bytes_read == 9  # "code=ABCD": the rest is never read
    assert response.status_code == 422  # the code "ABCD" is not one we know


def test_a_webhook_over_1_mb_is_a_json_413_before_it_is_read(client):
    body = CountingStream(300 * 1024 * 1024, prefix=b'{"id": "evt_big"')  # 300 MB, unsigned
    response = post_stream(
        client, "/webhooks/stripe", body, content_length=body.size, content_type=JSON
    )

    assert response.status_code == 413
    assert body.bytes_read == 0
    assert response.json == {
        "error": "request_entity_too_large",
        "message": "The request body is larger than 1 MB, the most this address accepts. "
        "Nothing was saved.",
    }


def test_a_chunked_webhook_is_cut_at_1_mb(client):
    body = CountingStream(5 * WEBHOOK_LIMIT, prefix=b'{"id": "evt_big"')
    response = post_chunked(client, "/webhooks/stripe", body, content_type=JSON)

    assert response.status_code == 413
    assert response.json["error"] == "request_entity_too_large"
    assert "larger than 1 MB" in response.json["message"]
    assert body.bytes_read <= WEBHOOK_LIMIT + 64 * 1024


def test_a_webhook_with_a_lying_content_length_is_read_only_that_far(client):
    body = CountingStream(5 * WEBHOOK_LIMIT, prefix=b'{"id": "evt_big"')
    response = post_stream(
        client,
        "/webhooks/stripe",
        body,
        content_length=100,
        content_type=JSON,
        headers={"Stripe-Signature": "t=1,v1=0"},
    )

    assert body.bytes_read == 100
    assert response.status_code == 400 and response.json == {"error": "invalid signature"}


def test_a_signed_webhook_larger_than_a_form_is_accepted(client):
    # Stripe events can be larger than any form: the webhook has its own limit.
    event = {"id": "evt_large", "type": "ping", "data": {"object": {"pad": "x" * 500_000}}}
    payload = json.dumps(event).encode()
    response = client.post(
        "/webhooks/stripe",
        data=payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)},
    )

    assert len(payload) > FORM_LIMIT
    assert response.status_code == 200 and response.json == {"received": True}


def test_a_chunked_webhook_under_the_limit_is_read_whole(client):
    event = {"id": "evt_chunked", "type": "ping", "data": {"object": {"pad": "x" * 200_000}}}
    payload = json.dumps(event).encode()
    response = client.post(
        "/webhooks/stripe",
        input_stream=io.BytesIO(payload),
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": sign(payload),
            "Transfer-Encoding": "chunked",
        },
        environ_overrides=CHUNKED,
    )

    assert response.status_code == 200 and response.json == {"received": True}


def test_the_limits_are_settings(monkeypatch):
    monkeypatch.setenv("MAX_FORM_BYTES", "2048")
    monkeypatch.setenv("MAX_WEBHOOK_BYTES", "4096")
    config = Settings.from_environ().as_flask_config()
    assert (config["MAX_CONTENT_LENGTH"], config["MAX_WEBHOOK_BYTES"]) == (2048, 4096)

    monkeypatch.delenv("MAX_FORM_BYTES")
    monkeypatch.delenv("MAX_WEBHOOK_BYTES")
    config = Settings.from_environ().as_flask_config()
    assert (config["MAX_CONTENT_LENGTH"], config["MAX_WEBHOOK_BYTES"]) == (
        FORM_LIMIT,
        WEBHOOK_LIMIT,
    )


@pytest.mark.parametrize(
    ("url", "size", "status"), [("/cart/promo", 2049, 413), ("/webhooks/stripe", 4097, 413)]
)
def test_an_app_uses_its_configured_limits(database_url, url, size, status):
    overrides = {"MAX_CONTENT_LENGTH": 2048, "MAX_WEBHOOK_BYTES": 4096}
    with rolled_back(make_app(database_url, **overrides)) as app:
        body = CountingStream(size, prefix=b"code=")
        response = post_stream(app.test_client(), url, body, content_length=size, content_type=FORM)

    assert response.status_code == status and body.bytes_read == 0
    assert "larger than 2 KB" in response.text if url == "/cart/promo" else "4 KB" in response.text
