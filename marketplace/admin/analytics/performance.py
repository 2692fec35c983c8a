"""Promo code and bundle performance, add-ons by MRR and subscribers, and what runs out soon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.orm import Session

from marketplace.analytics.periods import Range
from marketplace.subscription_history import MONTHLY_AMOUNT

SHARE = Decimal("0.1")


def percent(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` in percent, 1 decimal (None of nothing)."""
    return (Decimal(100) * part / whole).quantize(SHARE) if whole else None


@dataclass(frozen=True)
class PromoRow:
    """A code's checkouts in the range (by the day they started) and its reservations now."""

    code: str
    checkouts: int
    paid: int
    reserved: int
    discount: Decimal
    revenue: Decimal
    first_purchases: int

    @property
    def first_purchase_share(self) -> Decimal | None:
        return percent(self.first_purchases, self.paid)


# Reserved now: checkouts still awaiting payment (pending lines, one use per checkout).
_PROMOS = text(
    """
    WITH used AS (
        SELECT promo_code_id, sum(checkouts) AS checkouts, sum(paid) AS paid,
               sum(discount) AS discount, sum(revenue) AS revenue,
               sum(first_purchases) AS first_purchases
        FROM analytics_promo_daily WHERE day BETWEEN :start AND :end GROUP BY promo_code_id
    ), reserved AS (
        SELECT promo_code_id,
               count(DISTINCT coalesce(order_id::text, checkout_session_id, id::text)) AS n
        FROM add_on_purchases WHERE status = 'pending' AND promo_code_id IS NOT NULL
        GROUP BY promo_code_id
    )
    SELECT c.code, coalesce(u.checkouts, 0), coalesce(u.paid, 0), coalesce(r.n, 0),
           coalesce(u.discount, 0.00), coalesce(u.revenue, 0.00), coalesce(u.first_purchases, 0)
    FROM used u
    FULL JOIN reserved r ON r.promo_code_id = u.promo_code_id
    JOIN promotional_codes c ON c.id = coalesce(u.promo_code_id, r.promo_code_id)
    ORDER BY 3 DESC, 2 DESC, 1 LIMIT :limit
    """
)


def promos(session: Session, period: Range, limit: int = 20) -> list[PromoRow]:
    """The codes used in `period` (or reserved now), most paid uses first."""
    params = {"start": period.start, "end": period.end, "limit": limit}
    return [PromoRow(*row) for row in session.execute(_PROMOS, params)]


@dataclass(frozen=True)
class BundleRow:
    """A bundle's paid orders in the range, savings given, revenue, and holders now."""

    name: str
    orders: int
    savings: Decimal
    revenue: Decimal
    holders: int
    subscribers: int

    @property
    def holder_share(self) -> Decimal | None:
        """Of the subscribers (MRR > 0) now, the share holding every member of the bundle."""
        return percent(self.holders, self.subscribers)


# Each side summed per bundle before the join: a long range's day rows meet no bundle row.
_BUNDLES = text(
    """
    WITH d AS (
        SELECT bundle_id, sum(orders) AS orders, sum(savings) AS savings,
               sum(revenue) AS revenue
        FROM analytics_bundle_daily WHERE day BETWEEN :start AND :end GROUP BY bundle_id
    ), h AS (
        SELECT bundle_id, count(*) AS holders FROM analytics_bundle_holders GROUP BY bundle_id
    )
    SELECT b.name, coalesce(d.orders, 0), coalesce(d.savings, 0.00), coalesce(d.revenue, 0.00),
           coalesce(h.holders, 0)
    FROM d FULL JOIN h ON h.bundle_id = d.bundle_id
    JOIN add_on_bundles b ON b.id = coalesce(d.bundle_id, h.bundle_id)
    WHERE coalesce(d.orders, 0) > 0 OR coalesce(h.holders, 0) > 0
    ORDER BY 2 DESC, 5 DESC, 1 LIMIT :limit
    """
)


def bundles(session: Session, period: Range, subscribers: int, limit: int = 20) -> list[BundleRow]:
    """The bundles that applied in `period` or are held whole now, most orders first."""
    params = {"start": period.start, "end": period.end, "limit": limit}
    return [
        BundleRow(name, orders, savings, revenue, holders, subscribers)
        for name, orders, savings, revenue, holders in session.execute(_BUNDLES, params)
    ]


@dataclass(frozen=True)
class AddOnRow:
    name: str
    subscribers: int
    mrr: Decimal


def add_ons(session: Session, order: str, limit: int = 10) -> list[AddOnRow]:
    """Add-ons by MRR or by active subscribers (`order`: "mrr" or "subscribers"), now."""
    column = {"mrr": "m.mrr", "subscribers": "m.subscribers"}[order]
    query = text(
        "SELECT a.name, m.subscribers, m.mrr FROM analytics_add_on_mrr m "
        f"JOIN add_ons a ON a.id = m.add_on_id ORDER BY {column} DESC, a.name LIMIT :limit"
    )
    return [AddOnRow(*row) for row in session.execute(query, {"limit": limit})]


@dataclass(frozen=True)
class Expiring:
    """Active subscriptions whose renewal is off, ending in the next 30 days (live)."""

    count: int
    mrr: Decimal
    soonest: list[tuple[str, str, datetime]]


_EXPIRING = """
    WHERE u.status = 'active' AND NOT u.auto_renew AND u.expires_at IS NOT NULL
      AND u.expires_at >= :now AND u.expires_at < :until
"""


def expiring(session: Session, now: datetime, limit: int = 10) -> Expiring:
    """What stops renewing in the next 30 days: how many, their MRR, the soonest few."""
    params = {"now": now, "until": now + timedelta(days=30), "limit": limit}
    totals = f"SELECT count(*), coalesce(sum({MONTHLY_AMOUNT}), 0.00) FROM user_add_ons u"
    count, mrr = session.execute(text(f"{totals} {_EXPIRING}"), params).one()
    soonest = session.execute(
        text(
            "SELECT u.user_id, a.name, u.expires_at "
            f"FROM user_add_ons u JOIN add_ons a ON a.id = u.add_on_id {_EXPIRING} "
            "ORDER BY u.expires_at LIMIT :limit"
        ),
        params,
    ).all()
    return Expiring(count, mrr, [tuple(row) for row in soonest])
