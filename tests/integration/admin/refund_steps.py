"""What the refund tests do: a paid order through checkout, the refund form posted (and
confirmed) as the admin's page would, and what was recorded."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from marketplace.billing import outbox
from marketplace.extensions import db
from marketplace.models import (
    AddOnPurchase,
    AdminAuditEntry,
    BillingOutboxEntry,
    Order,
    Refund,
    ShopperContact,
)
from tests.integration.checkout.fakes import event
from tests.integration.checkout.steps import USER, open_checkout, post_webhook

STATE = re.compile(r'name="state"[^>]*value="([0-9a-f]+)"')


def paid_order(client, session, fake_stripe, *add_ons) -> Order:
    """USER (with an e-mail address) buys `add_ons` in one checkout, paid at the fake Stripe."""
    session.add(ShopperContact(user_id=USER, email="user1@example.com", name="Una User"))
    session.commit()
    session_id = open_checkout(client, session, fake_stripe, *add_ons)
    post_webhook(client, event("checkout.session.completed", fake_stripe.complete(session_id)))
    db.session.expire_all()
    return db.session.scalars(select(Order).where(Order.user_id == USER)).one()


def page_state(admin_client, order: Order) -> str:
    """The refund state the order page's form carries now."""
    page = admin_client.get(f"/admin/orders/{order.id}")
    assert page.status_code == 200
    match = STATE.search(page.get_data(as_text=True))
    assert match, "the order page offers no refund form"
    return match.group(1)


def refund(
    admin_client,
    order: Order,
    *,
    line: AddOnPurchase | None = None,
    amount: str = "",
    reason: str = "Customer asked",
    state: str | None = None,
    cancel: bool = False,
    confirmed: bool = True,
    **kwargs,
):
    """Post the refund form (confirmed, as its confirm step posts it)."""
    data = {
        "line": str(line.id) if line else "",
        "amount": amount,
        "reason": reason,
        "state": state or page_state(admin_client, order),
    }
    if cancel:
        data["cancel_subscriptions"] = "y"
    if confirmed:
        data["confirmed"] = "1"
    return admin_client.post(f"/admin/orders/{order.id}/refund", data=data, buffered=True, **kwargs)


def lines_of(order: Order) -> list[AddOnPurchase]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AddOnPurchase)
            .where(AddOnPurchase.order_id == order.id)
            .order_by(AddOnPurchase.amount)
        )
    )


def refunded(order: Order) -> list[Decimal | None]:
    """Each line's refunded total, cheapest line first."""
    return [line.refund_amount for line in lines_of(order)]


def refunds(order: Order) -> list[Refund]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Refund).where(Refund.order_id == order.id).order_by(Refund.created_at)
        )
    )


def refund_letters(user_id: str = USER) -> list[dict]:
    db.session.expire_all()
    entries = db.session.scalars(
        select(BillingOutboxEntry).where(BillingOutboxEntry.kind == outbox.SEND_MAIL)
    )
    return [
        e.payload
        for e in entries
        if e.payload["message"] == "refund_issued" and e.payload["user_id"] == user_id
    ]


def audit_rows(order: Order) -> list[AdminAuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AdminAuditEntry).where(
                AdminAuditEntry.object_type == "order",
                AdminAuditEntry.object_id == str(order.id),
            )
        )
    )
