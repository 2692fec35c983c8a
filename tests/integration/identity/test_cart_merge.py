"""The anonymous cart merges into the user's cart at sign-in, in one transaction."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.cart.service import merge_carts
from marketplace.models import CartItem, CartPromoCode
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.identity import oidc_sign_in, subscribe
from tests.fixtures.shoppers import ANON_OWNER, as_anonymous, session_of, with_promo


def quantities(session, owner):
    return dict(
        session.execute(
            select(CartItem.add_on_id, CartItem.quantity).where(CartItem.user_id == owner)
        ).all()
    )


def test_quantities_are_summed_and_capped(session, catalog):
    put_in_cart(session, ANON_OWNER, catalog.tts, quantity=60)
    put_in_cart(session, ANON_OWNER, catalog.stt, quantity=2)
    put_in_cart(session, "user-1", catalog.tts, quantity=50)
    put_in_cart(session, "user-1", catalog.bolt, quantity=1)

    merged = merge_carts(session, ANON_OWNER, "user-1")

    assert quantities(session, "user-1") == {
        catalog.tts.id: 100,
        catalog.stt.id: 2,
        catalog.bolt.id: 1,
    }
    assert quantities(session, ANON_OWNER) == {}
    assert merged.message == (
        "We added 2 items from your cart. "
        "Unicorn Orator - TTS is capped at 100, the most a line can hold."
    )


def test_owned_add_ons_are_dropped(session, catalog):
    put_in_cart(session, ANON_OWNER, catalog.tts, catalog.presenton)
    subscribe(session, "user-1", catalog.tts)

    merged = merge_carts(session, ANON_OWNER, "user-1")

    assert quantities(session, "user-1") == {catalog.presenton.id: 1}
    assert merged.message == (
        "We added 1 item from your cart. Unicorn Orator - TTS was dropped: you already own it."
    )


def test_a_cancelled_subscription_does_not_count_as_owned(session, catalog):
    put_in_cart(session, ANON_OWNER, catalog.tts)
    subscribe(session, "user-1", catalog.tts, status="cancelled")

    merge_carts(session, ANON_OWNER, "user-1")

    assert quantities(session, "user-1") == {catalog.tts.id: 1}


def test_an_empty_anonymous_cart_says_nothing(session, catalog):
    assert merge_carts(session, ANON_OWNER, "user-1").message == ""


def test_dev_sign_in_merges_and_carries_the_promo_code(client, session, catalog):
    put_in_cart(session, ANON_OWNER, catalog.tts, catalog.stt)
    subscribe(session, "dev-7", catalog.stt)
    with_promo(as_anonymous(client), "LAUNCH2025")

    response = client.post("/login", data={"user_id": "dev-7", "next": "/cart"})

    assert response.status_code == 303
    stored = session_of(client)
    # The user's cart keeps it now, where the API sees it too.
    assert "promo_code" not in stored and "anonymous_id" not in stored
    assert session.get(CartPromoCode, "dev-7").code == "LAUNCH2025"
    assert quantities(session, "dev-7") == {catalog.tts.id: 1}
    cart = client.get("/cart").text
    assert "We added 1 item from your cart." in cart
    assert "Amanuensis - STT was dropped: you already own it." in cart
    assert "LAUNCH2025" in cart


def test_oidc_sign_in_merges_too(oidc_client, session, catalog, keycloak):
    put_in_cart(session, ANON_OWNER, catalog.bolt, quantity=3)
    as_anonymous(oidc_client)

    oidc_sign_in(oidc_client, "/cart")

    assert quantities(session, "kc-user-1") == {catalog.bolt.id: 3}
