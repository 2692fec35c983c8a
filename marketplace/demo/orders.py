"""The demo purchases' orders, as real checkouts leave them, written set-based.

Each generated checkout (its `checkout_session_id`: one line, or a line per member of a bundle
bought whole) gets one order, whose id is derived from the session id. The purchases are COPYed
into a temporary table without indexes, each with its bundle's receipt label and its order's
status (derived by orders.service's rule; a checkout's lines share their status); orders are
then inserted from it in purchase order, so paid ones take consecutive numbers from
`order_number_seq`, and the purchases follow with their `order_id` — no row-by-row writes, no
UPDATE of the loaded purchases.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, text
from sqlalchemy.orm import Session

from marketplace.demo.generator import PURCHASE_COLUMNS
from marketplace.orders.service import derive_status, number_sql
from marketplace.vocabulary import DiscountKind, PurchaseStatus

STAGED = "demo_purchases"
STAGED_COLUMNS = (*PURCHASE_COLUMNS, "bundle_label", "order_status")
ORDER_ID = "md5(checkout_session_id)::uuid"  # one per checkout, the same for its lines
DISCOUNT_LABEL = "Discount"  # as migration 005 labels the discounts it backfills
PAID = f"status IN ('{PurchaseStatus.COMPLETED.value}', '{PurchaseStatus.REFUNDED.value}')"


@dataclass(frozen=True)
class _Line:
    status: str
    refund_amount: Decimal | None


@cache
def _order_status(status: str, refund_amount: str | None) -> str:
    line = _Line(status, Decimal(refund_amount) if refund_amount is not None else None)
    return derive_status([line]).value


def with_order_status(purchases: Iterable[Sequence[Any]]) -> Iterator[tuple[Any, ...]]:
    """Generated purchase rows (PURCHASE_COLUMNS and the bundle label) with their order's
    status (its lines share theirs)."""
    status = PURCHASE_COLUMNS.index("status")
    refund = PURCHASE_COLUMNS.index("refund_amount")
    for row in purchases:
        yield (*row, _order_status(row[status], row[refund]))


def stage(session: Session) -> None:
    """The temporary table the purchases are COPYed into (dropped at commit, or here when an
    earlier load in this connection left it, as tests' nested transactions do)."""
    session.execute(text(f"DROP TABLE IF EXISTS {STAGED}"))
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE {STAGED} ON COMMIT DROP AS "
            f"SELECT {', '.join(PURCHASE_COLUMNS)} FROM add_on_purchases WITH NO DATA"
        )
    )
    session.execute(
        text(f"ALTER TABLE {STAGED} ADD COLUMN bundle_label text, ADD COLUMN order_status text")
    )


def insert_orders(session: Session) -> int:
    """One order per staged checkout, its totals its lines'; paid ones numbered in
    purchased_at order."""
    result = _execute(
        session,
        text(
            f"""
            INSERT INTO orders (id, number, user_id, status, currency, subtotal, tax, total,
                                checkout_session_id, payment_reference, paid_at,
                                created_at, updated_at)
            SELECT {ORDER_ID}, CASE WHEN seq IS NOT NULL THEN {number_sql("paid_at", "seq")} END,
                   user_id, order_status, currency, subtotal,
                   CASE WHEN paid_at IS NOT NULL THEN 0 END, total,
                   checkout_session_id, stripe_payment_id, paid_at,
                   purchased_at, coalesce(refunded_at, paid_at, purchased_at)
            FROM (SELECT s.*, CASE WHEN paid_at IS NOT NULL
                                   THEN nextval('order_number_seq') END AS seq
                  FROM (SELECT checkout_session_id, min(user_id) AS user_id,
                               min(order_status) AS order_status, min(currency) AS currency,
                               sum(amount + discount_amount) AS subtotal, sum(amount) AS total,
                               min(stripe_payment_id) AS stripe_payment_id,
                               min(purchased_at) AS purchased_at, max(refunded_at) AS refunded_at,
                               min(CASE WHEN {PAID} THEN coalesce(completed_at, purchased_at)
                                   END) AS paid_at,
                               min(id::text) AS first_line
                        FROM {STAGED} GROUP BY checkout_session_id) s
                  ORDER BY purchased_at, first_line) numbered
            """
        ),
    )
    return result.rowcount


def insert_purchases(session: Session) -> int:
    """The staged purchases, each with its order."""
    columns = ", ".join(PURCHASE_COLUMNS)
    result = _execute(
        session,
        text(
            f"INSERT INTO add_on_purchases ({columns}, order_id) "
            f"SELECT {columns}, {ORDER_ID} FROM {STAGED}"
        ),
    )
    return result.rowcount


def insert_discounts(session: Session) -> int:
    """A discount line for each discounted purchase, named as a checkout names it: its
    bundle's or its promo code's, else one of a kind the generator does not say."""
    result = _execute(
        session,
        text(
            "INSERT INTO purchase_discounts (purchase_id, kind, label, amount) "
            "SELECT s.id, CASE WHEN s.bundle_label IS NOT NULL THEN :bundle "
            "WHEN c.id IS NOT NULL THEN :promo ELSE :kind END, "
            "coalesce(s.bundle_label, 'Promo code ' || c.code, :label), s.discount_amount "
            f"FROM {STAGED} s LEFT JOIN promotional_codes c ON c.id = s.promo_code_id "
            "WHERE s.discount_amount > 0"
        ),
        {
            "kind": DiscountKind.OTHER.value,
            "bundle": DiscountKind.BUNDLE.value,
            "promo": DiscountKind.PROMO.value,
            "label": DISCOUNT_LABEL,
        },
    )
    return result.rowcount


def delete_orders(session: Session, purchases: str, params: dict[str, Any]) -> None:
    """Delete the purchases matching the condition `purchases`, then their orders once empty
    (an order's lines keep it: the foreign key restricts), and any empty demo user's order.
    Their discounts go with the purchases (ON DELETE CASCADE)."""
    session.execute(text(f"DROP TABLE IF EXISTS {STAGED}_orders"))
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE {STAGED}_orders ON COMMIT DROP AS SELECT DISTINCT order_id "
            f"FROM add_on_purchases WHERE order_id IS NOT NULL AND ({purchases})"
        ),
        params,
    )
    session.execute(text(f"DELETE FROM add_on_purchases WHERE {purchases}"), params)
    session.execute(
        text(
            "DELETE FROM orders o WHERE (o.id IN (SELECT order_id FROM "
            f"{STAGED}_orders) OR o.user_id LIKE :users) "
            "AND NOT EXISTS (SELECT 1 FROM add_on_purchases p WHERE p.order_id = o.id)"
        ),
        params,
    )


def _execute(
    session: Session, statement: Any, params: dict[str, Any] | None = None
) -> CursorResult[Any]:
    """Run a DML statement; its result says how many rows it wrote (`rowcount`)."""
    return cast(CursorResult[Any], session.execute(statement, params))
