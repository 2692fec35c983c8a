"""Who may open `/admin`: every rule of the URL map, for every method and role, so no route
can forget; the menus and the header show only what the user may open."""

from __future__ import annotations

import uuid

import pytest
from flask import url_for
from werkzeug.routing import AnyConverter, UUIDConverter

from marketplace.admin.access import AREA_CLOSED, NOT_STAFF, READ_ONLY
from marketplace.vocabulary import Role
from tests.fixtures.database import make_app, rolled_back
from tests.fixtures.shoppers import csrf_token_from, session_of, set_session, sign_in

READS = {"GET", "HEAD"}
SUPPORT_AREAS = (
    "admin.index",
    "admin.audit.",
    "admin.orders.",
    "admin.customers.",
    # Support may export what it may view: orders (purchases) and customers.
    "admin.exports.index",
    "admin.exports.purchases.",
    "admin.exports.customers.",
    "admin.analytics.",
)


def admin_requests(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every `/admin` rule and method, with made-up arguments."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/admin"):
                continue
            values = {name: _value(rule._converters[name]) for name in rule.arguments}
            url = url_for(rule.endpoint, **values)
            found += [(rule.endpoint, method, url) for method in sorted(rule.methods - {"OPTIONS"})]
    return found


def _value(converter) -> object:
    if isinstance(converter, UUIDConverter):
        return uuid.uuid4()
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "x"


def _rule_of(app, endpoint: str) -> str:
    return next(rule.rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)


def test_the_walk_covers_every_admin_route(app):
    endpoints = {endpoint for endpoint, _, _ in admin_requests(app)}
    methods = {method for _, method, _ in admin_requests(app)}

    assert {"admin.index", "admin.audit.index", "admin.catalog.add_ons"} <= endpoints
    assert "admin.catalog.bulk" in endpoints and len(endpoints) >= 10
    assert methods == {"GET", "HEAD", "POST"}


def test_every_admin_route_sends_anonymous_visitors_to_sign_in(app):
    client = app.test_client()
    for endpoint, method, url in admin_requests(app):
        response = client.open(url, method=method)
        assert response.status_code == 303, (endpoint, method)
        assert response.headers["Location"].startswith("/login?next=/admin"), (endpoint, method)


def test_every_admin_route_refuses_a_shopper_with_the_403_page(app, shopper_client):
    for endpoint, method, url in admin_requests(app):
        response = shopper_client.open(url, method=method)
        assert response.status_code == 403, (endpoint, method)
        if method != "HEAD":
            assert NOT_STAFF in response.text and "<html" in response.text


def test_support_reads_only_its_areas_and_changes_nothing(app, support_client):
    for endpoint, method, url in admin_requests(app):
        response = support_client.open(url, method=method)
        if method in READS and endpoint.startswith(SUPPORT_AREAS):
            # Let in: a list answers, a detail page of a made-up id is "not found".
            expected = 404 if "<" in _rule_of(app, endpoint) else 200
            assert response.status_code == expected, (endpoint, method)
        else:
            assert response.status_code == 403, (endpoint, method)
            if method not in READS:
                assert READ_ONLY in response.text
            elif method == "GET":
                assert AREA_CLOSED in response.text


def test_an_admin_is_never_refused(app, admin_client):
    for endpoint, method, url in admin_requests(app):
        response = admin_client.open(url, method=method)
        # Made-up ids are a 404 and empty forms a 4xx; never the guard's 403 or a 500.
        assert response.status_code not in (403, 500), (endpoint, method, response.status_code)


def test_sign_in_comes_back_to_the_admin_page(client):
    response = client.get("/admin/audit/?actor=x")

    assert response.headers["Location"] == "/login?next=/admin/audit/?actor%3Dx"


def test_htmx_requests_are_sent_to_sign_in_as_a_whole_page(client):
    response = client.get("/admin/", headers={"HX-Request": "true"})

    assert response.headers["HX-Redirect"].startswith("/login?next=/admin/")


def test_menus_show_only_what_the_user_may_open(admin_client, support_client, shopper_client):
    admin_page = admin_client.get("/admin/").text
    support_page = support_client.get("/admin/").text

    assert 'href="/admin/catalog/add-ons"' in admin_page
    assert 'href="/admin/audit/"' in admin_page
    assert 'href="/admin/audit/"' in support_page
    assert "/admin/catalog" not in support_page and "read-only" in support_page
    # The header links to the admin area for staff only.
    assert 'href="/admin/"' in admin_page and 'href="/admin/"' in support_page
    assert "/admin/" not in shopper_client.get("/account/add-ons").text


def test_admin_pages_are_not_stored(admin_client):
    assert admin_client.get("/admin/").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("is_admin", "status"), [(True, 200), (False, 403)])
def test_sessions_from_before_roles_keep_working(client, is_admin, status):
    user = {"id": "old-timer", "tier": None, "is_admin": is_admin, "name": None, "gen": 0}
    set_session(client, user=user)

    assert client.get("/admin/").status_code == status


def test_the_development_form_signs_in_support(client, tiers):
    page = client.get("/login").text
    assert 'name="is_support"' in page and "Support (read-only" in page

    client.post("/login", data={"user_id": "agent-1", "is_support": "y"})

    assert session_of(client)["user"]["role"] == "support"
    assert client.get("/admin/audit/").status_code == 200
    assert client.get("/admin/catalog/add-ons").status_code == 403


def test_admin_wins_when_both_boxes_are_ticked(client, tiers):
    client.post("/login", data={"user_id": "boss", "is_admin": "y", "is_support": "y"})

    assert session_of(client)["user"]["role"] == "admin"


def test_admin_forms_need_the_csrf_token(database_url):
    with rolled_back(make_app(database_url, WTF_CSRF_ENABLED=True)) as app:
        client = sign_in(app.test_client(), "admin-ada", role=Role.ADMIN)
        form = {"name": "Token Test", "category": "analytics", "base_price": "1",
                "billing_type": "monthly", "display_order": "1", "metadata_json": "{}"}  # fmt: skip

        refused = client.post("/admin/catalog/add-ons/new", data=form)
        assert refused.status_code == 400

        token = csrf_token_from(client.get("/admin/catalog/add-ons/new").text)
        accepted = client.post("/admin/catalog/add-ons/new", data={**form, "csrf_token": token})
        assert accepted.status_code == 303
        htmx = client.post(
            "/admin/catalog/add-ons/new",
            data={**form, "name": "Token Test 2"},
            headers={"HX-Request": "true", "X-CSRFToken": token},
        )
        assert htmx.status_code == 200 and htmx.headers["HX-Redirect"].startswith("/admin/")
