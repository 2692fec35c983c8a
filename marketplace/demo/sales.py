"""The demo data set's checkouts: a line each, or a line per member of a bundle bought whole
with its saving split as checkout splits it; drawn from the generator's seeded `random`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from marketplace.demo.generator import Generator, demo_user_id, pick
from marketplace.demo.prices import BundlePlan, bundle_savings
from marketplace.demo.prices import money as _money

PURCHASE_MIX = (("completed", 0.90), ("failed", 0.95), ("refunded", 0.99))
BUNDLE_ORDERS = 0.03  # the share of checkouts that buy a whole bundle
# A checkout line: add-on (index), quantity, discount in cents, promo code id, bundle label.
Line = tuple[int, int, int, str | None, str | None]


def purchases(gen: Generator) -> Iterator[tuple[Any, ...]]:
    """PURCHASE_COLUMNS rows, each followed by its bundle's receipt label (None: no bundle).

    One checkout in BUNDLE_ORDERS buys a whole bundle: a line per member, its saving
    split over them as a real checkout splits it, paid (or refunded) together."""
    rng = gen.rng
    counts = gen.allocate(
        gen.sizes.purchases,
        gen.sizes.purchases,
        [(len(held) + 1) * rng.lognormvariate(0, 0.5) for held in gen.held],
    )
    sequence = 0
    for user_index, count in enumerate(counts):
        user_id = demo_user_id(user_index)
        held = gen.held[user_index]
        while count > 0:
            sequence += 1
            bundle = _bundle_order(gen, count)
            lines = _one_line(gen, held) if bundle is None else _bundle_lines(gen, bundle)
            count -= len(lines)
            yield from _checkout(gen, user_id, sequence, lines)


def _one_line(gen: Generator, held: list[int]) -> list[Line]:
    """A checkout of one add-on: mostly one the user holds, maybe with a promo code."""
    rng = gen.rng
    add_on = rng.choice(held) if held and rng.random() < 0.85 else None
    if add_on is None:
        add_on = gen.popular_add_on()
    quantity = 1 if rng.random() < 0.95 else rng.randint(2, 5)
    discount, promo_code_id = gen.promos.discount(rng, gen.price_cents[add_on] * quantity)
    return [(add_on, quantity, discount, promo_code_id, None)]


def _bundle_lines(gen: Generator, bundle: BundlePlan) -> list[Line]:
    savings = bundle_savings([gen.price_cents[i] for i in bundle.members], bundle.percent)
    return [
        (add_on, 1, saving, None, bundle.label)
        for add_on, saving in zip(bundle.members, savings, strict=True)
    ]


def _bundle_order(gen: Generator, room: int) -> BundlePlan | None:
    """The bundle the next checkout buys whole, if any (it fits in `room` lines)."""
    if not gen.bundle_plans or gen.rng.random() >= BUNDLE_ORDERS:
        return None
    bundle = gen.rng.choice(gen.bundle_plans)
    return bundle if len(bundle.members) <= room else None


def _checkout(
    gen: Generator,
    user_id: str,
    sequence: int,
    lines: list[Line],
) -> Iterator[tuple[Any, ...]]:
    """One checkout's lines (add-on, quantity, discount cents, promo code, bundle label):
    one status, payment and refund for them all."""
    rng = gen.rng
    status = pick(rng.random(), PURCHASE_MIX)
    purchased_at = gen.ago(1 / 24 if status == "pending" else 730)
    paid = status in ("completed", "refunded")
    completed_at = purchased_at + timedelta(seconds=rng.uniform(2, 60)) if paid else None
    refunded_at = (
        min(gen.as_of, purchased_at + timedelta(days=rng.uniform(0.1, 14)))
        if status == "refunded"
        else None
    )
    for add_on, quantity, discount, promo_code_id, label in lines:
        amount = gen.price_cents[add_on] * quantity - discount
        yield (
            gen._uuid(),
            user_id,
            gen.add_on_ids[add_on],
            _money(amount),
            "USD",
            f"pi_demo{sequence:09d}" if paid else None,
            status,
            purchased_at,
            quantity,
            gen.billing[add_on],
            _money(discount),
            f"cs_demo{sequence:09d}",
            completed_at,
            "card_declined" if status == "failed" else None,
            _money(amount) if refunded_at else None,
            refunded_at,
            promo_code_id,
            label,
        )
