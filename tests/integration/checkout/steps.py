"""What checkout tests do and look at: check out, deliver a signed webhook, read what was
recorded (committed state, so every read expires the session first)."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import (
    AddOn,
    AddOnPurchase,
    BillingOutboxEntry,
    CartItem,
    PromotionalCode,
    UserAddOn,
)
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.shoppers import sign_in, with_promo
from tests.integration.checkout.fakes import WEBHOOK_SECRET, event, sign

USER = "user-1"


def post_webhook(client, event: dict, secret: str = WEBHOOK_SECRET):
    payload = json.dumps(event).encode()
    return client.post(
        "/webhooks/stripe",
        data=payload,
        headers={"Stripe-Signature": sign(payload, secret), "Content-Type": "application/json"},
        # Close the response as a WSGI server does: the after-response Lago delivery runs then.
        buffered=True,
    )


def checkout(client, promo: str | None = None, **kwargs):
    if promo is not None:
        with_promo(client, promo)
    return client.post("/checkout", **kwargs)


def start_checkout(client, session, *add_ons: AddOn, promo: str | None = None):
    """USER signs in with `add_ons` in the cart and checks out (with `promo`); the response."""
    put_in_cart(session, USER, *add_ons)
    sign_in(client, USER)
    return checkout(client, promo)


def open_checkout(client, session, fake_stripe, *add_ons: AddOn, promo: str | None = None) -> str:
    """`start_checkout`, which must open the one Stripe session there is; its id."""
    start_checkout(client, session, *add_ons, promo=promo)
    [session_id] = fake_stripe.sessions
    return session_id


def purchases(user_id: str = USER) -> list[AddOnPurchase]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AddOnPurchase)
            .where(AddOnPurchase.user_id == user_id)
            .order_by(AddOnPurchase.created_at, AddOnPurchase.amount)
        )
    )


def uses(code: PromotionalCode) -> int:
    """A promo code's `current_uses` as committed now."""
    db.session.expire_all()
    return db.session.get(PromotionalCode, code.id).current_uses


def holdings(user_id: str = USER) -> dict[str, UserAddOn]:
    db.session.expire_all()
    rows = db.session.scalars(select(UserAddOn).where(UserAddOn.user_id == user_id))
    return {row.add_on.slug: row for row in rows}


def cart_count(user_id: str = USER) -> int:
    return db.session.scalar(select(func.count()).where(CartItem.user_id == user_id))


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(BillingOutboxEntry))


def committed_add_on(slug: str = "probe", price: str = "10.00", billing="monthly") -> AddOn:
    """An add-on committed to `committed_app`'s database."""
    add_on = AddOn(
        name=slug.title(),
        slug=slug,
        category="development",
        base_price=Decimal(price),
        billing_type=billing,
    )
    db.session.add(add_on)
    db.session.commit()
    return add_on


def paid_async_later(fake_stripe, session_id: str) -> dict:
    """The shopper finished Stripe's page with a delayed method (e.g. a bank debit)."""
    return fake_stripe.complete(session_id, paid=False)


def async_succeeded(client, fake_stripe, session_id: str):
    session = fake_stripe.sessions[session_id]
    session["payment_status"] = "paid"
    return post_webhook(client, event("checkout.session.async_payment_succeeded", session))


def bought_twice(client, session, catalog, fake_stripe) -> tuple[str, str]:
    """Two checkouts of one add-on: the second paid and fulfilled, the first paid by a delayed
    method that has not cleared (so checkout could neither expire nor fulfil it)."""
    first = open_checkout(client, session, fake_stripe, catalog.tts)
    paid_async_later(fake_stripe, first)
    checkout(client)  # the first can't be expired any more, and isn't paid yet: released
    [second] = [sid for sid in fake_stripe.sessions if sid != first]
    post_webhook(client, event("checkout.session.completed", fake_stripe.complete(second)))
    return first, second
