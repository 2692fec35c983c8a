"""Cart service on real PostgreSQL: adds, increments, caps, removals and ownership."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace import quoting
from marketplace.cart import queries, service
from marketplace.models import CartItem, UserAddOn
from marketplace.shopper import Shopper
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.shoppers import ANON_OWNER

USER = "user-1"


def lines(session, owner=ANON_OWNER):
    return [(item.add_on.name, item.quantity) for item in queries.cart_lines(session, owner)]


def test_add_creates_a_line_with_the_price_seen(session, catalog):
    result = service.add_item(session, ANON_OWNER, catalog.tts.id, 2)

    assert result.message == "Added Unicorn Orator - TTS to your cart."
    (item,) = queries.cart_lines(session, ANON_OWNER)
    assert (item.quantity, item.unit_price_seen) == (2, Decimal("9.99"))


def test_adding_again_increments_the_quantity(session, catalog):
    service.add_item(session, ANON_OWNER, catalog.tts.id)
    service.add_item(session, ANON_OWNER, catalog.tts.id, 3)

    assert lines(session) == [("Unicorn Orator - TTS", 4)]


def test_quantity_is_capped_at_100_and_says_so(session, catalog):
    service.add_item(session, ANON_OWNER, catalog.tts.id, 99)
    result = service.add_item(session, ANON_OWNER, catalog.tts.id, 5)

    assert lines(session) == [("Unicorn Orator - TTS", 100)]
    assert "at most 100" in result.message


@pytest.mark.parametrize("quantity", [0, 101, -1])
def test_quantity_outside_1_to_100_is_refused(session, catalog, quantity):
    with pytest.raises(service.InvalidQuantity):
        service.add_item(session, ANON_OWNER, catalog.tts.id, quantity)
    assert lines(session) == []


def test_lines_come_oldest_first(session, catalog):
    service.add_item(session, ANON_OWNER, catalog.gpu.id)
    service.add_item(session, ANON_OWNER, catalog.bolt.id)

    assert [name for name, _ in lines(session)] == [
        "GPU Compute Access",
        "Bolt - AI Dev Environment",
    ]


def test_unknown_or_inactive_add_on_is_not_found(session, catalog):
    catalog.gpu.is_active = False
    session.commit()
    with pytest.raises(service.NotFound):
        service.add_item(session, ANON_OWNER, uuid.uuid4())
    with pytest.raises(service.NotFound):
        service.add_item(session, ANON_OWNER, catalog.gpu.id)


def test_an_owned_add_on_is_refused(session, catalog):
    session.add(UserAddOn(user_id=USER, add_on_id=catalog.bolt.id, status="active"))
    session.commit()

    with pytest.raises(service.AlreadyOwned, match="You already own Bolt - AI Dev Environment"):
        service.add_item(session, USER, catalog.bolt.id)
    assert lines(session, USER) == []


def test_an_expired_subscription_does_not_count_as_owned(session, catalog):
    session.add(
        UserAddOn(
            user_id=USER,
            add_on_id=catalog.bolt.id,
            status="active",
            expires_at=datetime.now(UTC) - timedelta(days=1),
        )
    )
    session.commit()

    service.add_item(session, USER, catalog.bolt.id)
    assert lines(session, USER) == [("Bolt - AI Dev Environment", 1)]


def test_add_bundle_adds_what_is_missing_and_not_owned(session, catalog):
    session.add(UserAddOn(user_id=USER, add_on_id=catalog.stt.id, status="active"))
    put_in_cart(session, USER, catalog.tts)

    result = service.add_bundle(session, USER, catalog.bundles["ai_productivity"].id)

    assert result.names == ("Presenton - Presentations",)
    assert "You already own Amanuensis - STT." in result.message
    assert lines(session, USER) == [
        ("Unicorn Orator - TTS", 1),
        ("Presenton - Presentations", 1),
    ]


def test_add_bundle_twice_changes_nothing(session, catalog):
    service.add_bundle(session, ANON_OWNER, catalog.bundles["developer_pro"].id)
    result = service.add_bundle(session, ANON_OWNER, catalog.bundles["developer_pro"].id)

    assert result.names == ()
    assert "already in your cart" in result.message
    assert sorted(lines(session)) == [
        ("Bolt - AI Dev Environment", 1),
        ("Brigade - Agent Platform", 1),
        ("Vector Search Engine", 1),
    ]


def test_update_remove_and_clear(session, cart_with_bundle):
    tts, stt, _ = cart_with_bundle
    service.update_quantity(session, ANON_OWNER, tts.id, 7)
    service.remove_item(session, ANON_OWNER, stt.id)
    assert lines(session) == [("Unicorn Orator - TTS", 7), ("Presenton - Presentations", 1)]

    assert service.clear(session, ANON_OWNER) == 2
    assert lines(session) == []


def test_someone_elses_line_is_not_found(session, cart_with_bundle):
    item = cart_with_bundle[0]
    with pytest.raises(service.NotFound):
        service.update_quantity(session, "anon:someone-else", item.id, 2)
    with pytest.raises(service.NotFound):
        service.remove_item(session, "anon:someone-else", item.id)
    with pytest.raises(service.NotFound):
        service.remove_item(session, None, item.id)
    assert session.scalar(select(CartItem.quantity).where(CartItem.id == item.id)) == 1


def test_a_changed_price_is_flagged(session, cart_with_bundle, catalog):
    catalog.tts.base_price = Decimal("11.99")
    session.commit()

    view = quoting.quote_cart(session, Shopper(None, None, False, "x"), ANON_OWNER, None)

    changed = {line.add_on.name: line.price_changed_from for line in view.lines}
    assert changed == {
        "Unicorn Orator - TTS": Decimal("9.99"),
        "Amanuensis - STT": None,
        "Presenton - Presentations": None,
    }
    assert view.lines[0].quote.unit_price == Decimal("11.99")


def test_cart_count_is_the_sum_of_quantities(session, catalog):
    put_in_cart(session, ANON_OWNER, catalog.tts, catalog.bolt, quantity=3)
    assert queries.cart_count(session, ANON_OWNER) == 6
    assert queries.cart_count(session, "anon:nobody") == 0
