"""The analytics definitions of DESIGN.md, one function each.

A subscription's **recurring amount** is what it renews at per period: the amount charged
after tier and bundle discounts, before a one-off promo code. Its **monthly amount** is that
normalised to a month (annual ÷ 12, rounded half up to the cent, so every sum below is exact in
cents); usage-based add-ons count their base fee; one-time purchases and complimentary grants
count 0. **MRR** sums the monthly amounts of active subscriptions.

A **movement** is a change of one user's MRR at one instant (every subscription a checkout
changes at once counts together): new (0 → > 0, first time), reactivation (0 → > 0 after
churn), expansion (up), contraction (down, still > 0), churned (> 0 → 0). Start MRR plus the
movements of a period is its end MRR, by construction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from marketplace.pricing.money import ZERO, round_money
from marketplace.vocabulary import BillingType


class Movement(StrEnum):
    """How one change moved a user's MRR."""

    NEW = "new"
    EXPANSION = "expansion"
    CONTRACTION = "contraction"
    CHURNED = "churned"
    REACTIVATION = "reactivation"


def recurring_amount(charged: Decimal, promo_discount: Decimal) -> Decimal:
    """What a line renews at: the amount charged with its one-off promo discount added back."""
    return round_money(charged + promo_discount)


def monthly_amount(amount: Decimal, billing: BillingType | None, *, active: bool = True) -> Decimal:
    """One subscription's share of MRR: `amount` per period normalised to a month.

    `billing` None is a complimentary grant (nothing was sold); an inactive subscription
    (cancelled, expired, suspended) counts 0 whatever it cost.
    """
    if not active or billing is None or billing.months is None:
        return ZERO
    return round_money(amount / billing.months)


@dataclass(frozen=True)
class Subscription:
    """One active-or-not subscription as MRR sees it."""

    user_id: str
    add_on: Hashable
    amount: Decimal
    billing: BillingType | None
    active: bool = True

    @property
    def mrr(self) -> Decimal:
        return monthly_amount(self.amount, self.billing, active=self.active)


@dataclass(frozen=True)
class MrrSummary:
    """MRR, ARR, subscribers (users with MRR > 0), ARPU, and MRR per add-on."""

    mrr: Decimal
    arr: Decimal
    subscribers: int
    arpu: Decimal
    by_add_on: Mapping[Hashable, Decimal] = field(default_factory=dict)


def arpu(mrr: Decimal, subscribers: int) -> Decimal:
    """MRR ÷ subscribers with MRR > 0, to the cent (0 when there are none)."""
    return round_money(mrr / subscribers) if subscribers else ZERO


def mrr_summary(subscriptions: Iterable[Subscription]) -> MrrSummary:
    """The MRR figures of a set of subscriptions."""
    by_user: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_add_on: dict[Hashable, Decimal] = defaultdict(lambda: ZERO)
    for subscription in subscriptions:
        by_user[subscription.user_id] += subscription.mrr
        if subscription.mrr:
            by_add_on[subscription.add_on] += subscription.mrr
    mrr = sum(by_user.values(), ZERO)
    subscribers = sum(1 for amount in by_user.values() if amount > 0)
    return MrrSummary(
        mrr=mrr,
        arr=mrr * 12,
        subscribers=subscribers,
        arpu=arpu(mrr, subscribers),
        by_add_on=dict(by_add_on),
    )


def classify(before: Decimal, after: Decimal, *, had_mrr_before: bool) -> Movement | None:
    """The movement of a user's MRR from `before` to `after` (None: no change)."""
    if before == after:
        return None
    if before == 0:
        return Movement.REACTIVATION if had_mrr_before else Movement.NEW
    if after == 0:
        return Movement.CHURNED
    return Movement.EXPANSION if after > before else Movement.CONTRACTION


@dataclass(frozen=True)
class SubscriptionChange:
    """A subscription's monthly amount from `at` on (a row of `subscription_changes`)."""

    user_id: str
    add_on: Hashable
    at: datetime
    mrr: Decimal


@dataclass(frozen=True)
class Movements:
    """A period's MRR: where it started, each movement's amount and users, where it ended."""

    start: Decimal
    end: Decimal
    amounts: Mapping[Movement, Decimal]
    users: Mapping[Movement, int]
    start_subscribers: int
    end_subscribers: int

    @property
    def net(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)


def movements(history: Iterable[SubscriptionChange], start: datetime, end: datetime) -> Movements:
    """Replay `history` (every change, any order) and sum the movements in [start, end)."""
    held: dict[tuple[str, Hashable], Decimal] = {}
    user_mrr: dict[str, Decimal] = defaultdict(lambda: ZERO)
    had_mrr: set[str] = set()
    amounts = {kind: ZERO for kind in Movement}
    users = {kind: 0 for kind in Movement}
    start_mrr: Decimal | None = None
    start_subscribers = 0
    ordered = sorted(history, key=lambda change: (change.at, change.user_id))
    for instant, user_id, changes in _by_user_instant(ordered):
        if instant >= end:
            break
        if start_mrr is None and instant >= start:
            start_mrr, start_subscribers = _totals(user_mrr)
        before = user_mrr[user_id]
        for change in changes:
            key = (user_id, change.add_on)
            user_mrr[user_id] += change.mrr - held.get(key, ZERO)
            held[key] = change.mrr
        after = user_mrr[user_id]
        kind = classify(before, after, had_mrr_before=user_id in had_mrr)
        if after > 0:
            had_mrr.add(user_id)
        if kind is not None and instant >= start:
            amounts[kind] += after - before
            users[kind] += 1
    if start_mrr is None:
        start_mrr, start_subscribers = _totals(user_mrr)
    end_mrr, end_subscribers = _totals(user_mrr)
    return Movements(start_mrr, end_mrr, amounts, users, start_subscribers, end_subscribers)


def _by_user_instant(
    ordered: list[SubscriptionChange],
) -> Iterable[tuple[datetime, str, list[SubscriptionChange]]]:
    """The changes grouped by (instant, user): one checkout's lines move a user's MRR once."""
    groups: dict[tuple[datetime, str], list[SubscriptionChange]] = {}
    for change in ordered:
        groups.setdefault((change.at, change.user_id), []).append(change)
    for (instant, user_id), changes in groups.items():
        yield instant, user_id, changes


def _totals(user_mrr: Mapping[str, Decimal]) -> tuple[Decimal, int]:
    return sum(user_mrr.values(), ZERO), sum(1 for amount in user_mrr.values() if amount > 0)


@dataclass(frozen=True)
class Churn:
    """Stripe's churn rate and revenue churn over a window (ratios, 4 decimal places)."""

    rate: Decimal
    revenue: Decimal


RATIO = Decimal("0.0001")


def churn(window: Movements) -> Churn:
    """Churn over a window (Stripe's formula).

    Rate: users churned ÷ (users with MRR > 0 at the start + new users in the window, new and
    reactivated). Revenue churn: churned + contraction MRR ÷ MRR at the start.
    """
    joined = window.users[Movement.NEW] + window.users[Movement.REACTIVATION]
    base = window.start_subscribers + joined
    rate = Decimal(window.users[Movement.CHURNED]) / base if base else Decimal(0)
    lost = -(window.amounts[Movement.CHURNED] + window.amounts[Movement.CONTRACTION])
    revenue = lost / window.start if window.start else Decimal(0)
    return Churn(rate=rate.quantize(RATIO), revenue=revenue.quantize(RATIO))
