"""Sign-out ends the session for good: a session cookie copied before sign-out opens nothing
after it, whether the user signed in with the development form or with OIDC."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from marketplace.auth import sessions
from marketplace.catalog.cache import init_app as init_cache
from marketplace.models import SessionGeneration
from tests.fixtures.identity import oidc_sign_in
from tests.fixtures.shoppers import session_of, set_session

SIGNED_IN_PAGES = ["/account/add-ons", "/account/purchases"]


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie was set"
    return cookie.value


def replay(app, cookie: str):
    """A second browser (the thief's) holding a copy of the cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def assert_signed_in(client) -> None:
    for path in SIGNED_IN_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path


def assert_sent_to_sign_in(client) -> None:
    for path in SIGNED_IN_PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=")
    # Elsewhere the cookie is an anonymous shopper's.
    assert "Sign out" not in client.get("/cart").text


def test_a_cookie_copied_before_dev_sign_out_is_void_after_it(app, client):
    client.post("/login", data={"user_id": "dev-7"})
    copied = session_cookie(client)
    assert_signed_in(replay(app, copied))

    assert client.post("/logout").status_code == 303

    assert_sent_to_sign_in(replay(app, copied))
    assert_sent_to_sign_in(client)


def test_a_cookie_copied_before_oidc_sign_out_is_void_after_it(app, oidc_client, keycloak):
    oidc_sign_in(oidc_client)
    copied = session_cookie(oidc_client)
    assert_signed_in(replay(app, copied))

    response = oidc_client.post("/logout")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(keycloak.issuer)  # the provider's sign-out

    assert_sent_to_sign_in(replay(app, copied))


def test_htmx_requests_with_a_void_cookie_navigate_to_sign_in(app, client):
    client.post("/login", data={"user_id": "dev-7"})
    copied = session_cookie(client)
    client.post("/logout")

    response = replay(app, copied).get("/account/add-ons", headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")


def test_signing_in_again_after_sign_out_works(app, client, session):
    client.post("/login", data={"user_id": "dev-7"})
    client.post("/logout")
    client.post("/logout")  # twice: a stale confirm page posted again changes nothing more

    client.post("/login", data={"user_id": "dev-7"})

    assert_signed_in(client)
    assert (
        session.scalar(
            select(SessionGeneration.generation).where(SessionGeneration.user_id == "dev-7")
        )
        == 1
    )
    assert session_of(client)["user"]["gen"] == 1


def test_sign_out_ends_the_users_sessions_on_every_device(app):
    laptop, phone = app.test_client(), app.test_client()
    laptop.post("/login", data={"user_id": "dev-7"})
    phone.post("/login", data={"user_id": "dev-7"})
    someone_else = app.test_client()
    someone_else.post("/login", data={"user_id": "dev-8"})

    laptop.post("/logout")

    assert_sent_to_sign_in(phone)
    assert_signed_in(someone_else)


def test_sign_out_page_says_every_device(client):
    client.post("/login", data={"user_id": "dev-7"})

    assert "signed out of the marketplace on every device" in client.get("/logout").text


# Cost -----------------------------------------------------------------------------------------


def test_a_signed_in_request_costs_one_primary_key_lookup(app, client, count_queries):
    client.post("/login", data={"user_id": "dev-7"})
    client.get("/account/add-ons")

    with count_queries() as statements:
        assert client.get("/account/add-ons").status_code == 200

    lookups = [s for s in statements if "session_generations" in s]
    assert len(lookups) == 1
    assert "WHERE session_generations.user_id = " in lookups[0]


def test_anonymous_shoppers_and_static_files_cost_no_lookup(app, client, count_queries):
    app.config["CATALOG_CACHE_SECONDS"] = 30
    init_cache(app)
    client.get("/")  # fills the catalog cache
    with count_queries() as statements:
        assert client.get("/").status_code == 200
    assert statements == []  # an anonymous cache hit sends no SQL at all

    client.post("/login", data={"user_id": "dev-7"})
    with count_queries() as statements, client.get("/static/css/app.css") as stylesheet:
        assert stylesheet.status_code == 200
    assert statements == []


@pytest.mark.parametrize("generation", [None, 0])
def test_cookies_from_before_the_first_sign_out_stay_valid(app, client, generation):
    """Cookies issued before this check existed carry no generation: they count as 0, valid
    until the user's first sign-out."""
    old_cookie = {"id": "dev-7", "tier": None}  # not `sign_in`: the shape from before `gen`
    if generation is not None:
        old_cookie["gen"] = generation
    set_session(client, user=old_cookie)
    copied = session_cookie(client)
    assert_signed_in(client)

    client.post("/logout")

    assert_sent_to_sign_in(replay(app, copied))


def test_this_browser_is_signed_out_even_if_the_sign_out_cannot_be_recorded(
    app, client, monkeypatch
):
    def database_down(user_id):
        raise OperationalError("UPDATE session_generations", {}, Exception("server closed"))

    client.post("/login", data={"user_id": "dev-7"})
    monkeypatch.setattr(sessions, "end_all", database_down)

    response = client.post("/logout")

    assert response.status_code >= 500  # the shopper is told it went wrong …
    assert "user" not in session_of(client)  # … and this browser is signed out all the same
