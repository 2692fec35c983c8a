"""Security headers on every response (cached catalog pages, partials, errors, static files),
a Content-Security-Policy the templates actually keep, and `no-store` on private pages."""

from __future__ import annotations

import re

import pytest

from marketplace.catalog.cache import init_app as init_cache
from marketplace.config import PROJECT_ROOT
from tests.fixtures.database import PRODUCTION_CONFIG, make_app
from tests.fixtures.identity import purchase
from tests.fixtures.shoppers import HX

EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    parsed = {}
    for directive in policy.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


def assert_secured(response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # development


@pytest.fixture
def cached_app(app):
    """The app with its catalog cache on, as in production."""
    app.config["CATALOG_CACHE_SECONDS"] = 30
    init_cache(app)
    return app


def test_catalog_pages_carry_the_headers_on_a_cache_miss_and_a_hit(cached_app, catalog):
    client = cached_app.test_client()
    for _ in range(2):  # miss, then hit
        for path in ("/", "/?category=infrastructure", "/add-ons/gpu-compute-access"):
            response = client.get(path)
            assert response.status_code == 200
            assert_secured(response)
        partial = client.get("/?category=infrastructure", headers=HX)
        assert partial.status_code == 200
        assert_secured(partial)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/no-such-page", 404),
        ("get", "/add-ons/no-such-add-on", 404),
        ("get", "/?page=abc", 400),
        ("get", "/static/js/htmx.min.js", 200),
        ("get", "/static/css/app.css", 200),
        ("get", "/healthz", 200),
        ("get", "/bundles", 200),
        ("get", "/login", 200),
        ("get", "/cart/badge", 200),
        ("post", "/cart/items", 400),
        ("post", "/webhooks/stripe", 400),
        ("get", "/api/v1/users/u/features", 401),
    ],
)
def test_every_kind_of_response_carries_them(client, catalog, method, path, status):
    with getattr(client, method)(path) as response:
        assert response.status_code == status
        assert_secured(response)


def test_an_unexpected_error_page_carries_them(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom")

    assert response.status_code == 500
    assert_secured(response)


# no-store --------------------------------------------------------------------------------------


def sign_in(client, user_id: str = "sec-user") -> None:
    client.post("/login", data={"user_id": user_id})


@pytest.mark.parametrize(
    "path",
    [
        "/cart",
        "/cart/badge",
        "/account/add-ons",
        "/account/purchases",
        "/checkout/cancelled",
        "/login",
        "/logout",
        "/admin",  # the future admin area: no-store even while it is a 404
        "/admin/orders",
    ],
)
def test_private_pages_are_never_stored(client, catalog, path):
    sign_in(client)

    response = client.get(path)

    assert response.headers["Cache-Control"] == "no-store", response.status_code
    assert_secured(response)


def test_a_receipt_and_its_pdf_are_never_stored(client, session, catalog):
    sign_in(client)
    row = purchase(session, "sec-user", catalog.tts)

    for path in (f"/account/orders/{row.order_id}", f"/account/orders/{row.order_id}.pdf"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"


def test_cart_mutations_are_never_stored(client, catalog):
    response = client.post("/cart/items", data={"add_on_id": str(catalog.tts.id)}, headers=HX)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/add-ons/gpu-compute-access", "/bundles", "/cartoons"])
def test_public_pages_may_be_cached(client, catalog, path):
    assert client.get(path).headers.get("Cache-Control") != "no-store"


# Production -------------------------------------------------------------------------------------


def production_app(database_url, **overrides):
    """A production app whose sign-in provider is at https://sso.example.com."""
    issuer = "https://sso.example.com/realms/platform"
    return make_app(database_url, **{**PRODUCTION_CONFIG, "OIDC_ISSUER": issuer, **overrides})


def test_production_adds_hsts(database_url):
    response = production_app(database_url).test_client().get("/healthz")

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_forms_may_post_on_to_the_sign_in_provider_and_stripe_checkout(database_url):
    """Browsers check a form's redirect against form-action: sign-out goes on to the
    provider's end-session endpoint, a checkout without JavaScript to Stripe Checkout."""
    response = production_app(database_url).test_client().get("/healthz")

    assert directives(response)["form-action"] == [
        "'self'",
        "https://sso.example.com",
        "https://checkout.stripe.com",
    ]


def test_without_oidc_and_stripe_forms_post_to_this_site_only(client):
    assert directives(client.get("/healthz"))["form-action"] == ["'self'"]


# What the policy would block -------------------------------------------------------------------

# The pages' templates. E-mail (templates/mail) is read in mail clients, never under this policy,
# and carries its styles inline: tests/unit/test_styles_and_templates.py checks it.
TEMPLATES = sorted(
    path
    for path in (PROJECT_ROOT / "templates").rglob("*.html")
    if path.parent != PROJECT_ROOT / "templates" / "mail"
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE = re.compile(r"\sstyle\s*=|<style", re.IGNORECASE)
SCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_have_no_inline_script_handler_or_style(template):
    source = template.read_text()

    assert not INLINE_SCRIPT.search(source)
    assert not INLINE_HANDLER.search(source), INLINE_HANDLER.search(source)
    assert not STYLE.search(source)
    assert not SCRIPT_URL.search(source)


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(client, catalog):
    page = client.get("/").text

    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page).group(1)
    assert '"includeIndicatorStyles": false' in config
    assert '"allowEval": false' in config
    assert '"allowScriptTags": false' in config


def test_the_receipt_print_button_uses_a_script_file(client, session, catalog):
    sign_in(client)
    row = purchase(session, "sec-user", catalog.tts)

    page = client.get(f"/account/orders/{row.order_id}").text

    assert '<script src="/static/js/print.js" defer></script>' in page
    assert re.search(r"<button[^>]*data-print[^>]*>Print</button>", page)
    with client.get("/static/js/print.js") as script:
        assert script.status_code == 200
        assert b"window.print()" in script.data


def test_cart_lines_render_without_inline_styles(client, catalog):
    """Pages built at run time too (the cart, with lines, totals and a promo form)."""
    client.post("/cart/items", data={"add_on_id": str(catalog.tts.id)})

    page = client.get("/cart").text

    assert "Unicorn Orator - TTS" in page
    assert not STYLE.search(page) and not INLINE_HANDLER.search(page)
