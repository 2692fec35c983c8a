"""The admin customer list (search by user id or e-mail, keyset pages) and a customer's page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from marketplace.admin.audit.service import Actor, record
from marketplace.models import ShopperContact, UserAddOn
from marketplace.vocabulary import Role
from tests.fixtures.identity import purchase

LIST = "/admin/customers/"
HX = {"HX-Request": "true"}


def user_ids(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/admin/customers/([^"]+)">', html)


def next_link(html: str) -> str | None:
    match = re.search(r'href="([^"]+)" hx-get="[^"]+"[^>]*>Next page', html)
    return match.group(1).replace("&amp;", "&") if match else None


def row_of(html: str, user_id: str) -> str:
    return html.split(f'href="/admin/customers/{user_id}"', 1)[1].split("</tr>", 1)[0]


@pytest.fixture
def customers(session, add_ons) -> list[str]:
    """60 customers known three ways: with orders (c-000…c-019), a contact only (c-020…c-039),
    a subscription only (c-040…c-059)."""
    voice = add_ons["unicorn-orator-tts"]
    for n in range(20):
        purchase(session, f"c-{n:03}", voice, days_ago=n)
    for n in range(20, 40):
        session.add(ShopperContact(user_id=f"c-{n:03}", email=f"person{n}@example.com"))
    for n in range(40, 60):
        session.add(UserAddOn(user_id=f"c-{n:03}", add_on_id=voice.id, status="active"))
    session.commit()
    return [f"c-{n:03}" for n in range(60)]


def test_pages_walk_every_customer_once_by_user_id(admin_client, customers):
    seen, url, pages = [], LIST, 0
    while url:
        html = admin_client.get(url).text
        seen += user_ids(html)
        url, pages = next_link(html), pages + 1

    # Every page but the last is full, in user id order, no overlap (signed-in staff count too).
    assert pages == 2 and seen == sorted(set(seen))
    assert [user for user in seen if user.startswith("c-")] == customers


def test_search_by_user_id_or_email_prefix(admin_client, customers):
    by_id = [user_ids(admin_client.get(f"{LIST}?q=c-{n:03}").text) for n in (5, 25, 45)]
    by_email = user_ids(admin_client.get(f"{LIST}?q=PERSON3").text)
    partial = admin_client.get(f"{LIST}?q=c-0", headers=HX).text

    assert by_id == [["c-005"], ["c-025"], ["c-045"]]
    assert by_email == [f"c-{n:03}" for n in range(30, 40)]
    assert "<html" not in partial and "No customer matches" in partial


def test_list_shows_contact_orders_net_paid_and_active_add_ons(admin_client, session, add_ons):
    voice, stt = add_ons["unicorn-orator-tts"], add_ons["amanuensis-stt"]
    session.add(ShopperContact(user_id="rich", email="rich@example.com", name="Rita Rich"))
    purchase(session, "rich", voice, amount=Decimal("10.00"))
    purchase(session, "rich", stt, amount=Decimal("5.50"), refund_amount=Decimal("2.25"))
    purchase(session, "rich", stt, amount=Decimal("7.00"), status="pending")
    future = datetime.now(UTC) + timedelta(days=30)
    session.add_all(
        [
            UserAddOn(user_id="rich", add_on_id=voice.id, status="active", expires_at=future),
            UserAddOn(user_id="rich", add_on_id=stt.id, status="cancelled"),
        ]
    )
    session.commit()

    row = row_of(admin_client.get(f"{LIST}?q=rich").text, "rich")

    assert "rich@example.com" in row and "Rita Rich" in row
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells == ["3", "$13.25", "1"]  # 10.00 + 5.50 paid − 2.25 refunded; pending unpaid


def test_customer_page_shows_contact_orders_subscriptions_and_history(
    support_client, session, add_ons
):
    voice = add_ons["unicorn-orator-tts"]
    session.add(ShopperContact(user_id="cora", email="cora@example.com", name="Cora"))
    line = purchase(session, "cora", voice, amount=Decimal("9.99"))
    expires = datetime(2027, 3, 1, tzinfo=UTC)
    session.add(
        UserAddOn(
            user_id="cora",
            add_on_id=voice.id,
            status="suspended",
            expires_at=expires,
            auto_renew=False,
        )
    )
    record(session, Actor("admin-ada", Role.ADMIN), "customer.note", "customer", "cora", None, {})
    session.commit()

    html = support_client.get("/admin/customers/cora").text

    for text in (
        "cora@example.com",
        f'href="/admin/orders/{line.order_id}"',
        line.order.number,
        "$9.99",
        "Unicorn Orator - TTS",
        "Suspended",
        "2027-03-01",
        "customer.note",
        'href="/admin/orders/?user_id=cora"',
    ):
        assert text in html, text
    assert re.search(r"<td>No</td>", html)  # auto-renew off


def test_unknown_customer_is_a_404(admin_client):
    assert admin_client.get("/admin/customers/nobody-at-all").status_code == 404
    assert admin_client.get("/admin/customers/" + "x" * 300).status_code == 404
