"""What events tests do: buy through the offline test-payment page, run the outbox runner."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from marketplace.billing import outbox
from marketplace.billing.sync import webhooks_for
from marketplace.extensions import db
from tests.fixtures.catalog import put_in_cart
from tests.fixtures.shoppers import sign_in


def buy(client, session, user_id: str, *add_ons, after_response: bool = False) -> None:
    """`user_id` checks out `add_ons` and pays on the offline test-payment page; with
    `after_response`, the answer is closed as a server closes it, so the after-response
    delivery runs."""
    put_in_cart(session, user_id, *add_ons)
    sign_in(client, user_id)
    location = client.post("/checkout").headers["Location"]
    session_id = location.rsplit("/", 1)[1]
    paid = client.post(
        f"/checkout/test-payment/{session_id}", data={"action": "pay"}, buffered=after_response
    )
    assert paid.status_code == 303


def run_outbox(now: datetime | None = None, limit: int = 500) -> outbox.DeliveryReport:
    """One run of the outbox's webhook deliveries, as `deliver-outbox` makes it (at `now`)."""
    sender = webhooks_for(current_app.config)
    return outbox.deliver(db.session(), webhooks=sender, now=now, limit=limit)
