"""What the shopper holds, on shared catalog pages: "Owned — manage" instead of "Add to cart".

Cached catalog and product fragments are the same for every shopper (`cache.py`); each
add-to-cart form in them sits between `<!--buy ID-->` and `<!--/buy-->` (the `add_to_cart`
macro). On the way out, like the CSRF token, a signed-in shopper's page gets a link to their
subscription in place of the form of every add-on on it they hold: one query for a signed-in
shopper, none for an anonymous one, no JavaScript needed and no second request.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime

from flask import current_app

from marketplace.account.queries import Holding, holdings_among
from marketplace.current import current_shopper
from marketplace.extensions import db

BUY_END = "<!--/buy-->"


def buy_start(add_on_id: uuid.UUID) -> str:
    return f"<!--buy {add_on_id}-->"


def mark_owned(html: str, add_on_ids: Collection[uuid.UUID]) -> str:
    """`html` with the add-to-cart form of each add-on the signed-in shopper holds replaced."""
    user_id = current_shopper().user_id
    if user_id is None or not add_on_ids:
        return html
    for holding in holdings_among(db.session(), user_id, add_on_ids, datetime.now(UTC)):
        html = _replace_buy(html, holding)
    return html


def _replace_buy(html: str, holding: Holding) -> str:
    start = html.find(buy_start(holding.add_on_id))
    end = html.find(BUY_END, start)
    if start < 0 or end < 0:
        return html
    owned = current_app.jinja_env.get_template("catalog/_owned.html").render(holding=holding)
    return html[:start] + owned + html[end + len(BUY_END) :]
