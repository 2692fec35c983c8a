"""One receipt per order, HTML and PDF with the same wording; tax as Stripe computed it."""

from __future__ import annotations

import html
import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Order
from tests.fixtures.shoppers import sign_in
from tests.integration.checkout.fakes import event
from tests.integration.checkout.steps import USER, open_checkout, post_webhook

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SELLER = {
    "SELLER_NAME": "Unicorn Platform Ltd",
    "SELLER_ADDRESS": "12 Harbour Road, Bristol BS1 4QA, United Kingdom",
    "SELLER_TAX_ID": "GB123456789",
}


@pytest.fixture(autouse=True)
def seller(app):
    app.config.update(SELLER)


def words(text: str) -> str:
    """Text with every run of whitespace (non-breaking spaces too) as one space."""
    return " ".join(text.split())


def receipt_text(client, order: Order) -> str:
    page = client.get(f"/account/orders/{order.id}")
    assert page.status_code == 200
    body = re.search(r'<div class="receipt__body">(.*?)</article>', page.text, re.S).group(1)
    return words(html.unescape(re.sub(r"<[^>]+>", " ", body)))


def pdf_text(client, order: Order) -> str:
    pdf = client.get(f"/account/orders/{order.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    return words(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages))


def the_order() -> Order:
    db.session.expire_all()
    return db.session.scalars(select(Order).where(Order.user_id == USER)).one()


def bought(client, session, fake_stripe, *add_ons, promo=None) -> dict:
    session_id = open_checkout(client, session, fake_stripe, *add_ons, promo=promo)
    paid = fake_stripe.complete(session_id)
    post_webhook(client, event("checkout.session.completed", paid))
    return paid


def test_html_and_pdf_say_the_same_in_the_same_order(client, session, catalog, fake_stripe):
    paid = bought(client, session, fake_stripe, catalog.tts, catalog.stt, promo="FRIEND50")
    order = the_order()

    page, pdf = receipt_text(client, order), pdf_text(client, order)

    assert page == pdf
    expected = [
        "Unicorn Platform Ltd",
        "12 Harbour Road, Bristol BS1 4QA, United Kingdom",
        "Tax ID: GB123456789",
        f"Receipt {order.number}",
        f"Order number {order.number}",
        f"Customer {USER}",
        "Status Paid",
        f"Payment reference {paid['invoice']}",
        "Item Period Quantity Amount",
        "Subtotal $19.98 Discounts -$5.00 Total charged $14.98",
        "No tax was collected on this order.",
    ]
    position = 0
    for text in expected:
        found = page.find(text, position)
        assert found >= 0, (text, page)
        position = found + len(text)
    for line in ("Unicorn Orator - TTS", "Amanuensis - STT"):
        assert f"{line} Monthly 1 $9.99 Promo code FRIEND50 -$2.50" in page
    assert not UUID.search(page) and not UUID.search(pdf)


def test_the_date_reads_for_people_and_never_breaks_inside_a_part(
    client, session, catalog, fake_stripe
):
    bought(client, session, fake_stripe, catalog.tts)
    order = the_order()
    page = client.get(f"/account/orders/{order.id}").text

    moment = order.paid_at
    shown = f"{moment.day}\u00a0{moment:%B}\u00a0{moment.year}, {moment:%H:%M}\u00a0UTC"
    assert f"<dt>Date</dt><dd>{shown}</dd>" in page
    assert shown.replace("\u00a0", " ") in pdf_text(client, order)


def test_a_refund_appears_on_the_receipt_with_its_date(client, session, catalog, fake_stripe):
    paid = bought(client, session, fake_stripe, catalog.tts, catalog.stt)
    charge = {"id": "ch_1", "object": "charge", "amount": 1998, "amount_refunded": 999}
    post_webhook(client, event("charge.refunded", {**charge, "invoice": paid["invoice"]}))
    order = the_order()

    page, pdf = receipt_text(client, order), pdf_text(client, order)

    when = order.lines[0].refunded_at
    day = f"{when.day} {when:%B} {when.year}"
    assert page == pdf
    # Spread over both lines in proportion, each with its date and reason.
    assert sorted(line.refund_amount for line in order.lines) == [Decimal("4.99"), Decimal("5.00")]
    assert f"Refunded on {day} -$4.99" in page and f"Refunded on {day} -$5.00" in page
    assert "Status Partially refunded" in page
    assert "Total charged $19.98 Refunded -$9.99 Net paid $9.99" in page


def test_with_automatic_tax_the_order_and_receipt_show_stripes_tax(
    app, client, session, catalog, fake_stripe
):
    app.config["STRIPE_AUTOMATIC_TAX"] = True
    bought(client, session, fake_stripe, catalog.tts, catalog.stt, promo="FRIEND50")
    order = the_order()

    [form] = fake_stripe.created_sessions()
    assert form["automatic_tax[enabled]"] == "true"
    assert form["line_items[0][price_data][tax_behavior]"] == "exclusive"
    # The fake's Stripe Tax: 10% of $14.98.
    assert (order.tax, order.total) == (Decimal("1.49"), Decimal("16.47"))
    page, pdf = receipt_text(client, order), pdf_text(client, order)
    assert page == pdf
    assert "Discounts -$5.00 Tax $1.49 Total charged $16.47" in page
    assert "No tax was collected" not in page


def test_without_automatic_tax_stripe_is_not_asked(client, session, catalog, fake_stripe):
    bought(client, session, fake_stripe, catalog.tts)

    [form] = fake_stripe.created_sessions()
    assert "automatic_tax[enabled]" not in form
    assert the_order().tax is None


def test_the_success_page_stores_the_tax_too(app, client, session, catalog, fake_stripe):
    app.config["STRIPE_AUTOMATIC_TAX"] = True
    session_id = open_checkout(client, session, fake_stripe, catalog.tts)
    fake_stripe.complete(session_id)

    assert client.get(f"/checkout/success?session_id={session_id}").status_code == 200
    assert (the_order().tax, the_order().total) == (Decimal("0.99"), Decimal("10.98"))


def test_someone_elses_receipt_is_404(client, session, catalog, fake_stripe):
    bought(client, session, fake_stripe, catalog.tts)
    order = the_order()

    sign_in(client, "user-2")
    for path in (f"/account/orders/{order.id}", f"/account/orders/{order.id}.pdf"):
        response = client.get(path)
        assert response.status_code == 404 and b"%PDF" not in response.data


def test_a_taxed_order_refunded_in_full_nets_to_nothing(app, client, session, catalog, fake_stripe):
    app.config["STRIPE_AUTOMATIC_TAX"] = True
    paid = bought(client, session, fake_stripe, catalog.tts)
    charge = {"id": "ch_1", "object": "charge", "amount": 1098, "amount_refunded": 1098}
    post_webhook(client, event("charge.refunded", {**charge, "invoice": paid["invoice"]}))
    order = the_order()

    page = receipt_text(client, order)

    assert order.status == "refunded"
    assert "Tax $0.99 Total charged $10.98 Refunded -$10.98 Net paid $0.00" in page


def test_each_receipt_line_shows_its_add_ons_icon_in_its_category_colour(
    client, session, catalog, fake_stripe
):
    bought(client, session, fake_stripe, catalog.tts)
    page = client.get(f"/account/orders/{the_order().id}").text

    line = re.search(r'<th scope="row" class="receipt__item">(.*?)</th>', page, re.S).group(1)
    assert f'class="icon-tile icon-tile--{catalog.tts.category} icon-tile--small"' in line
    assert 'aria-hidden="true"' in line and line.rstrip().endswith(catalog.tts.name)
