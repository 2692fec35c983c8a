"""Real commits from threads: one cart line updated and removed at once, and a new anonymous
shopper's first adds sent at once, end in a consistent cart and never in a 500."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import AddOn, CartItem
from tests.fixtures.database import committing_app
from tests.fixtures.shoppers import ANON_OWNER, HX, as_anonymous, csrf_token_from, session_of

ROUNDS = 25
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def race_app(committed_database_url):  # noqa: F811
    """An app on a database of its own whose requests really commit, CSRF on as in production."""
    with committing_app(
        committed_database_url, "cart_items, add_ons", WTF_CSRF_ENABLED=True
    ) as app:
        yield app


def add_ons(*names: str) -> list[AddOn]:
    rows = [
        AddOn(name=name, slug=name.lower(), category="development", base_price=Decimal("5.00"))
        for name in names
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def at_once(*calls: Callable[[], object]) -> list[object]:
    """Run `calls` in threads released together; return their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def request_from_here(app, call: Callable[[], object]):
    """Run a request from the test's thread in an app context of its own: the test holds one,
    and requests inside it would share `g` (and so one CSRF token) across sessions."""
    with app.app_context():
        return call()


def anonymous_shopper(app, same_session_as=None):
    """A client with ANON_OWNER's cart (or `same_session_as`'s session) and its CSRF token."""
    client = app.test_client()
    if same_session_as is not None:
        client.set_cookie("session", same_session_as.get_cookie("session").value)
    else:
        as_anonymous(client)
    page = request_from_here(app, lambda: client.get("/cart").get_data(as_text=True))
    return client, csrf_token_from(page)


def test_update_and_remove_of_one_line_at_once_never_fail(race_app):
    (add_on,) = add_ons("Racer")
    updater, token = anonymous_shopper(race_app)
    remover, _ = anonymous_shopper(race_app, same_session_as=updater)
    outcomes = set()
    for _ in range(ROUNDS):
        line = CartItem(user_id=ANON_OWNER, add_on_id=add_on.id, unit_price_seen=Decimal("5"))
        db.session.add(line)
        db.session.commit()
        url = f"/cart/items/{line.id}"

        update, remove = at_once(
            lambda url=url: updater.post(
                url, data={"quantity": "3", "csrf_token": token}, headers=HX
            ),
            lambda url=url: remover.post(f"{url}/delete", data={"csrf_token": token}, headers=HX),
        )

        assert update.status_code in (200, 404, 409), update.get_data(as_text=True)
        assert remove.status_code in (200, 404, 409), remove.get_data(as_text=True)
        for response in (update, remove):  # either way, the cart as it is now
            assert 'id="cart"' in response.get_data(as_text=True)
        outcomes.add((update.status_code, remove.status_code))
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(CartItem)) == 0
    assert outcomes <= {(200, 200), (404, 200)}


def test_two_removes_of_one_line_at_once_remove_it_once(race_app):
    (add_on,) = add_ons("Twice")
    first, token = anonymous_shopper(race_app)
    second, _ = anonymous_shopper(race_app, same_session_as=first)
    for _ in range(ROUNDS // 5):
        line = CartItem(user_id=ANON_OWNER, add_on_id=add_on.id, unit_price_seen=Decimal("5"))
        db.session.add(line)
        db.session.commit()
        url = f"/cart/items/{line.id}/delete"

        statuses = sorted(
            response.status_code
            for response in at_once(
                lambda url=url: first.post(url, data={"csrf_token": token}, headers=HX),
                lambda url=url: second.post(url, data={"csrf_token": token}, headers=HX),
            )
        )

        assert statuses == [200, 404]


def test_a_new_shoppers_first_adds_at_once_end_in_one_cart(race_app):
    ids = [str(add_on.id) for add_on in add_ons("Voice", "Agent", "Search")]
    for _ in range(ROUNDS // 5):
        browser = race_app.test_client()
        # The first page: a session (with its CSRF secret), no cart yet.
        page = request_from_here(race_app, lambda b=browser: b.get("/").get_data(as_text=True))
        token = TOKEN.search(page).group(1)
        cookie = browser.get_cookie("session").value
        assert "anonymous_id" not in session_of(browser)

        def add(add_on_id: str, cookie=cookie, token=token):
            tab = race_app.test_client()
            tab.set_cookie("session", cookie)
            response = tab.post(
                "/cart/items",
                data={"add_on_id": add_on_id, "csrf_token": token},
                headers=HX,
            )
            return response.status_code, session_of(tab).get("anonymous_id"), tab

        results = at_once(*(lambda a=a: add(a) for a in ids))

        assert [status for status, _, _ in results] == [200, 200, 200]
        owners = {f"anon:{anonymous_id}" for _, anonymous_id, _ in results}
        assert len(owners) == 1  # whichever response's cookie the browser keeps
        db.session.expire_all()
        rows = db.session.execute(select(CartItem.user_id, CartItem.add_on_id)).all()
        assert {row.user_id for row in rows} == owners
        assert sorted(str(row.add_on_id) for row in rows) == sorted(ids)
        last_tab = results[-1][2]
        cart = request_from_here(race_app, lambda t=last_tab: t.get("/cart").get_data(as_text=True))
        assert all(name in cart for name in ("Voice", "Agent", "Search"))
        db.session.execute(db.text("TRUNCATE cart_items"))
        db.session.commit()
