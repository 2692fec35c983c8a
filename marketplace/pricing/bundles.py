"""Bundles: price a bundle, and choose the bundles that save the shopper the most."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import combinations
from typing import NamedTuple
from uuid import UUID

from .models import BundleOffer
from .money import ZERO, allocate, discounted_price
from .validity import is_live


class BundlePrice(NamedTuple):
    """A bundle's price: the sum of its add-ons, the discounted price, and the difference."""

    original: Decimal
    price: Decimal
    saving: Decimal


@dataclass(frozen=True)
class BundleDeal:
    """A bundle applied to the cart, with its saving split over its add-ons' lines."""

    bundle: BundleOffer
    discounts: Mapping[UUID, Decimal]

    @property
    def saving(self) -> Decimal:
        return sum(self.discounts.values(), ZERO)


def bundle_price(bundle: BundleOffer, prices: Mapping[UUID, Decimal]) -> BundlePrice:
    """Price ``bundle`` from ``prices`` (add-on id → amount; unit prices on the bundles page).

    The discount applies to the sum: percent first, then amount; the price is rounded half up
    and never below zero.
    """
    original = sum((prices[add_on_id] for add_on_id in set(bundle.add_on_ids)), ZERO)
    price = discounted_price(
        original, percent=bundle.discount_percent, amount_off=bundle.discount_amount
    )
    return BundlePrice(original, price, original - price)


def choose_bundles(
    bundles: Sequence[BundleOffer], amounts: Mapping[UUID, Decimal], *, now: datetime
) -> tuple[BundleDeal, ...]:
    """Return the non-overlapping bundles that save the most on lines priced at ``amounts``.

    ``amounts`` maps each add-on in the cart to its line total after tier discounts. A bundle
    applies when it is live and the cart holds all its add-ons. Ties go to fewer bundles, then to
    the smaller bundle ids. The search is exhaustive: carts hold few bundles' worth of add-ons.
    """
    applicable = sorted(
        (
            bundle
            for bundle in bundles
            if is_live(bundle, now) and set(bundle.add_on_ids) <= amounts.keys()
        ),
        key=lambda bundle: bundle.id,
    )
    savings = {bundle.id: bundle_price(bundle, amounts).saving for bundle in applicable}
    best: tuple[BundleOffer, ...] = ()
    best_saving = ZERO
    # combinations() yields smaller sets first and, within a size, in id order, so keeping
    # only strict improvements implements both tie-breaks.
    for size in range(1, len(applicable) + 1):
        for combination in combinations(applicable, size):
            saving = sum((savings[bundle.id] for bundle in combination), ZERO)
            if saving > best_saving and _disjoint(combination):
                best, best_saving = combination, saving
    return tuple(
        BundleDeal(
            bundle=bundle,
            discounts=allocate(
                savings[bundle.id],
                {add_on_id: amounts[add_on_id] for add_on_id in set(bundle.add_on_ids)},
            ),
        )
        for bundle in best
    )


def _disjoint(bundles: Sequence[BundleOffer]) -> bool:
    add_on_sets = [set(bundle.add_on_ids) for bundle in bundles]
    return len(set[UUID]().union(*add_on_sets)) == sum(len(add_ons) for add_ons in add_on_sets)
