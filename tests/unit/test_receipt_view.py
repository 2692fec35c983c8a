"""The receipt's wording: people's dates, no raw UUIDs, tax stated either way."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from marketplace.models import Order
from marketplace.orders.receipt_view import NO_TAX, Seller, customer, receipt_view, when

SELLER = Seller("Unicorn Platform Ltd", "12 Harbour Road, Bristol", "GB123")


def paid_order(**values) -> Order:
    return Order(
        **{
            "number": "MKT-2026-000123",
            "user_id": "user-1",
            "status": "paid",
            "currency": "USD",
            "subtotal": Decimal("0.00"),
            "total": Decimal("0.00"),
            "tax": None,
            "paid_at": datetime(2026, 11, 26, 14, 5, tzinfo=UTC),
            **values,
        }
    )


def test_a_date_reads_for_people_and_holds_together():
    assert when(datetime(2026, 11, 26, 14, 5, tzinfo=UTC)) == (
        "26\u00a0November\u00a02026, 14:05\u00a0UTC"
    )


def test_a_uuid_user_id_becomes_a_short_account_reference():
    sub = "3f2a9c1b-0d4e-4f5a-9b6c-7d8e9f0a1b2c"

    assert customer(sub) == "Account 3F2A9C1B"
    assert customer("user-1") == "user-1"
    assert sub not in " ".join(receipt_view(paid_order(user_id=sub), SELLER).texts())


def test_tax_is_a_total_when_collected_and_a_note_when_not():
    without = receipt_view(paid_order(), SELLER)
    taxed = receipt_view(paid_order(tax=Decimal("1.49"), total=Decimal("1.49")), SELLER)

    assert NO_TAX in without.notes and "Tax" not in [row.label for row in without.totals]
    assert NO_TAX not in taxed.notes
    assert ("Tax", "$1.49") in [(row.label, row.value) for row in taxed.totals]


def test_the_seller_tax_id_is_left_out_when_unset():
    assert Seller("S", "Street").lines == ("Street",)
    assert SELLER.lines == ("12 Harbour Road, Bristol", "Tax ID: GB123")


def test_an_order_never_paid_has_no_receipt():
    with pytest.raises(ValueError, match="only a paid order has a receipt"):
        receipt_view(paid_order(number=None, paid_at=None, id=uuid.uuid4()), SELLER)
