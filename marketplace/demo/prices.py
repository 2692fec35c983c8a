"""What demo subscriptions renew at and what demo purchases were discounted by (promo codes,
bundles bought whole)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marketplace.pricing.money import allocate, discounted_price

DEMO_PROMO_PREFIX = "DEMO-"
PROMO_CODES = 20
PROMO_COLUMNS = ("id", "code", "description", "discount_type", "discount_value", "is_active")
CODE_WORDS = ("SPRING", "SUMMER", "AUTUMN", "WINTER", "LAUNCH")


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def renewal(rng: random.Random, billing: str, cents: int) -> tuple[str | None, str]:
    """How a subscription was sold and what it renews at: one in a hundred is a complimentary
    grant (nothing sold); one in six renews at a tier or bundle price."""
    if rng.random() < 0.01:
        return None, "0.00"
    if billing == "one_time":
        return billing, "0.00"
    if rng.random() < 0.16:
        cents -= cents * rng.choice((10, 15, 20)) // 100
    return billing, money(cents)


@dataclass(frozen=True)
class Promos:
    """The demo promo codes: ids and percentages off."""

    ids: list[str]
    percents: list[int]

    @classmethod
    def plan(cls, rng: random.Random, new_id: Callable[[], str]) -> Promos:
        ids = [new_id() for _ in range(PROMO_CODES)]
        return cls(ids, [rng.choice((10, 15, 20, 25)) for _ in ids])

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """The codes' rows in PROMO_COLUMNS order (codes unique: word and number)."""
        for index, (code_id, percent) in enumerate(zip(self.ids, self.percents, strict=True)):
            code = f"{DEMO_PROMO_PREFIX}{CODE_WORDS[index % len(CODE_WORDS)]}{index + 1:02d}"
            yield (code_id, code, f"A demo promo code: {percent}% off.", "percentage",
                   f"{percent}.00", True)  # fmt: skip

    def discount(self, rng: random.Random, gross: int) -> tuple[int, str | None]:
        """A line's discount in cents and its promo code: one in sixteen used a promo code,
        one in twenty-five had a discount of another kind."""
        roll = rng.random()
        if roll < 0.06:
            index = rng.randrange(len(self.ids))
            return gross * self.percents[index] // 100, self.ids[index]
        if roll < 0.10:
            return gross * rng.choice((10, 15, 20)) // 100, None
        return 0, None


@dataclass(frozen=True)
class BundlePlan:
    """A demo bundle as its orders need it: its receipt label, members and percent off."""

    label: str
    members: list[int]
    percent: str


def bundle_savings(cents: list[int], percent: str) -> list[int]:
    """A bundle's saving on lines priced `cents`, split over them in whole cents as checkout
    splits it (marketplace.pricing: the discounted total, then `allocate`)."""
    prices = {uuid.UUID(int=index): Decimal(c).scaleb(-2) for index, c in enumerate(cents)}
    total = sum(prices.values(), Decimal(0))
    saving = total - discounted_price(total, percent=Decimal(percent), amount_off=None)
    shares = allocate(saving, prices)
    return [int(shares[key].scaleb(2)) for key in prices]
