"""The admin order list (filters, keyset pages, every state in its URL) and an order's page."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from marketplace.admin.audit.service import Actor, record
from marketplace.models import Order, PromotionalCode, PurchaseDiscount, ShopperContact
from marketplace.vocabulary import Role
from tests.fixtures.identity import purchase

LIST = "/admin/orders/"
HX = {"HX-Request": "true"}


def order_links(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/admin/orders/([0-9a-f-]{36})">', html)


def next_link(html: str) -> str | None:
    match = re.search(r'href="([^"]+)" hx-get="[^"]+"[^>]*>Next page', html)
    return match.group(1).replace("&amp;", "&") if match else None


@pytest.fixture
def orders(session, add_ons) -> list[Order]:
    """70 orders, one a day back from today: 3 users in turn, 2 add-ons in turn, every 5th
    awaiting payment; newest first."""
    voice, other = add_ons["unicorn-orator-tts"], add_ons["amanuensis-stt"]
    made = []
    for n in range(70):
        line = purchase(
            session,
            f"buyer-{n % 3}",
            voice if n % 2 else other,
            days_ago=n,
            status="pending" if n % 5 == 0 else "completed",
        )
        made.append(line.order)
    return made


def walk(client, url: str) -> list[str]:
    seen: list[str] = []
    while url:
        html = client.get(url).text
        seen += order_links(html)
        url = next_link(html)
    return seen


def test_pages_walk_every_order_once_newest_first(admin_client, orders):
    seen = walk(admin_client, LIST)

    assert seen == [str(order.id) for order in orders]  # 50 then 20, no overlap


def test_filters_status_add_on_and_user(admin_client, orders, add_ons):
    pending = order_links(admin_client.get(f"{LIST}?status=pending").text)
    by_user = walk(admin_client, f"{LIST}?user_id=buyer-1")
    voice = walk(admin_client, f"{LIST}?add_on=unicorn-orator-tts")
    both = order_links(admin_client.get(f"{LIST}?add_on=unicorn-orator-tts&user_id=buyer-1").text)

    assert pending == [str(o.id) for n, o in enumerate(orders) if n % 5 == 0]
    assert by_user == [str(o.id) for n, o in enumerate(orders) if n % 3 == 1]
    assert voice == [str(o.id) for n, o in enumerate(orders) if n % 2]
    assert both == [str(o.id) for n, o in enumerate(orders) if n % 2 and n % 3 == 1]


def test_filter_by_date_range_and_order_number(admin_client, orders):
    today = datetime.now(UTC).date()
    since, until = today - timedelta(days=12), today - timedelta(days=10)
    in_range = order_links(admin_client.get(f"{LIST}?since={since}&until={until}").text)
    number = orders[3].number
    by_number = order_links(admin_client.get(f"{LIST}?code={number.lower()}").text)

    assert in_range == [str(orders[n].id) for n in (10, 11, 12)]
    assert by_number == [str(orders[3].id)]


def test_filter_by_promo_code_any_case(admin_client, session, add_ons):
    promo = PromotionalCode(code="SPRING10", discount_type="percentage", discount_value=10)
    session.add(promo)
    session.flush()
    used = purchase(session, "buyer-p", add_ons["unicorn-orator-tts"], promo_code_id=promo.id)
    purchase(session, "buyer-q", add_ons["unicorn-orator-tts"])

    assert order_links(admin_client.get(f"{LIST}?code=spring10").text) == [str(used.order_id)]
    assert "No order matches" in admin_client.get(f"{LIST}?code=NOPE").text


def test_htmx_gets_the_results_alone_and_links_keep_the_filters(admin_client, orders):
    response = admin_client.get(f"{LIST}?user_id=buyer-0", headers=HX)

    assert "<html" not in response.text and "<form" not in response.text
    assert len(order_links(response.text)) == 24
    page = admin_client.get(f"{LIST}?status=paid").text
    assert "status=paid" in (next_link(page) or "")
    assert '<option selected value="paid">' in page


@pytest.mark.parametrize(
    "query", ["after=nonsense", "since=2026-13-01", "status=lost", "after=2026-01-01~nope"]
)
def test_bad_list_input_is_a_400(admin_client, query):
    assert admin_client.get(f"{LIST}?{query}").status_code == 400


@pytest.fixture
def full_order(session, add_ons) -> Order:
    """A paid order with a tier discount, a partial refund, tax, a contact and an audit row."""
    line = purchase(
        session,
        "buyer-full",
        add_ons["unicorn-orator-tts"],
        amount=Decimal("8.99"),
        stripe_payment_id="pi_admin_123",
        refund_amount=Decimal("3.00"),
        refunded_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        refund_reason="Goodwill after an outage",
    )
    line.discounts = [PurchaseDiscount(kind="tier", label="Pro tier price", amount=Decimal("1"))]
    order = line.order
    order.checkout_session_id = "cs_admin_456"
    order.tax = Decimal("1.62")
    order.total = Decimal("10.61")
    session.add(ShopperContact(user_id="buyer-full", email="full@example.com", name="Fay Full"))
    record(
        session,
        Actor("admin-ada", Role.ADMIN),
        "order.refund",
        "order",
        order.id,
        None,
        {"amount": "3.00"},
    )
    session.commit()
    return order


def test_order_page_shows_lines_discounts_refunds_payment_and_history(support_client, full_order):
    html = support_client.get(f"/admin/orders/{full_order.id}").text

    for text in (
        full_order.number,
        "full@example.com",
        'href="/admin/customers/buyer-full"',
        "Unicorn Orator - TTS",
        "Monthly",
        "Pro tier price: −$1.00",
        "$8.99",
        "$3.00",
        "Goodwill after an outage",
        "2026-11-20 09:30",
        "$1.62",
        "$10.61",
        "pi_admin_123",
        "cs_admin_456",
        "order.refund",
        "admin-ada",
    ):
        assert text in html, text
    assert "None can be shown for this order" in html


def test_unknown_or_malformed_order_is_a_404(admin_client):
    assert admin_client.get(f"/admin/orders/{uuid.uuid4()}").status_code == 404
    assert admin_client.get("/admin/orders/not-an-id").status_code == 404


def test_support_sees_the_list_in_its_menu(support_client, orders):
    html = support_client.get(LIST).text

    assert 'href="/admin/orders/"' in html and 'href="/admin/customers/"' in html
    assert len(order_links(html)) == 50
