"""The demo data set's rows: generated from one seeded `random.Random`, in a fixed order.

Demo rows are recognisable, so they can be removed again exactly: users are
`demo-user-NNNNNN`, add-ons carry `metadata @> {"demo": true}`, and demo bundles hold demo
add-ons only.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from marketplace.demo import prices
from marketplace.demo.prices import money as _money
from marketplace.models.catalog import CATEGORIES, slugify
from marketplace.orders.service import bundle_label

DEMO_USER_PREFIX = "demo-user-"
DEMO_MARKER = {"demo": True}
DAY = 86_400

# ~60 feature keys: every product area offered with every capability.
FEATURE_AREAS = (
    "voice", "speech", "agents", "code", "slides", "search",
    "ocr", "vectors", "gpu", "analytics", "workflows", "storage",
)  # fmt: skip
FEATURE_ASPECTS = ("api_access", "realtime", "batch_jobs", "custom_models", "priority_support")
FEATURE_KEYS = tuple(f"{area}_{aspect}" for area in FEATURE_AREAS for aspect in FEATURE_ASPECTS)

BRANDS = (
    "Aurora", "Beacon", "Cobalt", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris",
    "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Onyx", "Pioneer", "Quartz", "Radiant",
    "Summit", "Tandem", "Umbra", "Vertex", "Willow", "Zenith",
)  # fmt: skip
PRODUCTS = {
    "ai-services": ("Voice", "Transcriber", "Agent Hub", "Translator", "Vision", "Copilot"),
    "infrastructure": ("GPU Pool", "Vector Store", "Edge Cache", "Object Storage", "Queue"),
    "analytics": ("Insights", "Dashboards", "Semantic Search", "Forecasts", "Telemetry"),
    "development": ("Code Studio", "CI Runner", "Sandbox", "API Gateway", "Debugger"),
    "productivity": ("Slides", "Docs OCR", "Meeting Notes", "Workflows", "Inbox"),
}
EDITIONS = ("Lite", "Standard", "Pro", "Team", "Enterprise")

# (billing type, weight, price range in cents)
BILLING = (
    ("monthly", 55, (499, 9_999)),
    ("annual", 20, (4_999, 99_999)),
    ("usage_based", 15, (0, 2_999)),
    ("one_time", 10, (999, 29_999)),
)
PERIOD_DAYS = {"monthly": 31, "usage_based": 31, "annual": 366, "one_time": 0}


def demo_user_id(index: int) -> str:
    """Return the id of demo user number `index` (0-based)."""
    return f"{DEMO_USER_PREFIX}{index:06d}"


@dataclass(frozen=True)
class DemoSizes:
    """How many rows of each kind to generate."""

    users: int = 100_000
    add_ons: int = 10_000
    subscriptions: int = 1_000_000
    purchases: int = 1_000_000
    carts: int = 20_000
    bundles: int = 1_000

    def check(self) -> None:
        """Raise ValueError when the sizes cannot be satisfied together."""
        if self.users < 1 or self.add_ons < 1:
            raise ValueError("--users and --add-ons must be at least 1")
        if min(self.subscriptions, self.purchases, self.carts, self.bundles) < 0:
            raise ValueError("sizes must not be negative")
        if self.subscriptions > self.users * self.add_ons:
            raise ValueError(
                f"{self.subscriptions} subscriptions do not fit in {self.users} users × "
                f"{self.add_ons} add-ons (one row per user and add-on)"
            )
        if self.carts > self.users:
            raise ValueError(f"--carts ({self.carts}) cannot exceed --users ({self.users})")
        if self.bundles and self.add_ons < 2:
            raise ValueError("bundles need at least 2 add-ons")


ADD_ON_COLUMNS = (
    "id", "name", "slug", "description", "category", "base_price", "billing_type", "features",
    "is_active", "metadata", "display_order",
)  # fmt: skip
FEATURE_COLUMNS = ("id", "add_on_id", "feature_key", "enabled", "configuration")
BUNDLE_COLUMNS = (
    "id", "name", "description", "add_on_ids", "discount_percent", "is_active", "valid_from",
    "valid_until", "display_order",
)  # fmt: skip
SUBSCRIPTION_COLUMNS = (
    "id", "user_id", "add_on_id", "status", "purchased_at", "expires_at",
    "stripe_subscription_id", "auto_renew", "cancelled_at", "cancellation_reason",
    "recurring_amount", "billing_type",
)  # fmt: skip
PURCHASE_COLUMNS = (
    "id", "user_id", "add_on_id", "amount", "currency", "stripe_payment_id", "status",
    "purchased_at", "quantity", "billing_type", "discount_amount", "checkout_session_id",
    "completed_at", "failure_reason", "refund_amount", "refunded_at", "promo_code_id",
)  # fmt: skip
CART_COLUMNS = ("id", "user_id", "add_on_id", "quantity", "added_at", "unit_price_seen")


# Statuses by cumulative share: a roll below a bound gets that status (the last one otherwise).
SUBSCRIPTION_MIX = (("active", 0.78), ("cancelled", 0.88), ("expired", 0.96), ("suspended", 0.98))
RENEWAL_OFF = 0.05  # the share of active recurring subscriptions whose renewal is switched off


def pick(roll: float, mix: tuple[tuple[str, float], ...]) -> str:
    """The status a uniform `roll` falls on in `mix`; past every bound, "pending"."""
    return next((status for status, bound in mix if roll < bound), "pending")


class Generator:
    """Rows of every demo table, drawn in a fixed order from one seeded generator."""

    def __init__(self, rng: random.Random, sizes: DemoSizes, as_of: datetime) -> None:
        self.rng = rng
        self.sizes = sizes
        self.as_of = as_of
        self.add_on_ids: list[str] = []
        self.billing: list[str] = []
        self.price_cents: list[int] = []
        self.features: list[list[str]] = []
        self.held: list[list[int]] = []
        self.bundle_plans: list[prices.BundlePlan] = []
        self.cart_owners: list[int] = []
        self.cart_sizes: list[int] = []
        self._plan_catalog()
        self._plan_carts()
        self.promos = prices.Promos.plan(rng, self._uuid)

    # Planning: whatever later tables need to know is drawn up front, so row counts are exact.

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _plan_catalog(self) -> None:
        rng = self.rng
        billing_types = [b[0] for b in BILLING]
        weights = [b[1] for b in BILLING]
        ranges = {b[0]: b[2] for b in BILLING}
        for _ in range(self.sizes.add_ons):
            billing = rng.choices(billing_types, weights)[0]
            low, high = ranges[billing]
            self.add_on_ids.append(self._uuid())
            self.billing.append(billing)
            self.price_cents.append(rng.randint(low, high) // 100 * 100 + 99 if high else 0)
            count = rng.randint(3, 8)
            keys: list[str] = []
            while len(keys) < count:
                # Skewed: the first keys are common, the last ones rare.
                key = FEATURE_KEYS[int(len(FEATURE_KEYS) * rng.random() ** 1.5)]
                if key not in keys:
                    keys.append(key)
            self.features.append(keys)
        self.feature_rows = sum(len(keys) for keys in self.features)

    def _plan_carts(self) -> None:
        rng = self.rng
        self.cart_owners = sorted(rng.sample(range(self.sizes.users), self.sizes.carts))
        self.cart_sizes = [
            min(self.sizes.add_ons, rng.choices((1, 2, 3, 4, 5), (35, 30, 20, 10, 5))[0])
            for _ in self.cart_owners
        ]
        self.cart_rows = sum(self.cart_sizes)

    def popular_add_on(self) -> int:
        # A few add-ons sell a lot, most sell a little (the square skews towards low indexes).
        return int(self.sizes.add_ons * self.rng.random() ** 2)

    def _distinct_add_ons(self, count: int, exclude: Iterable[int] = ()) -> list[int]:
        taken = set(exclude)
        if count + len(taken) > self.sizes.add_ons // 4:
            pool = [i for i in range(self.sizes.add_ons) if i not in taken]
            return self.rng.sample(pool, min(count, len(pool)))
        chosen: list[int] = []
        while len(chosen) < count:
            index = self.popular_add_on()
            if index not in taken:
                taken.add(index)
                chosen.append(index)
        return chosen

    def allocate(self, total: int, cap: int, weights: Sequence[float]) -> list[int]:
        """Split `total` rows over users in proportion to `weights`, at most `cap` each."""
        scale = total / math.fsum(weights)
        counts = [min(cap, int(weight * scale)) for weight in weights]
        remaining = total - sum(counts)
        users = len(counts)
        while remaining > 0:
            index = self.rng.randrange(users)
            if counts[index] < cap:
                counts[index] += 1
                remaining -= 1
        return counts

    def ago(self, max_days: float, min_days: float = 0) -> datetime:
        return self.as_of - timedelta(seconds=self.rng.uniform(min_days * DAY, max_days * DAY))

    # Rows, in COPY column order.

    def add_ons(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        for index, add_on_id in enumerate(self.add_on_ids):
            category = rng.choice(CATEGORIES)
            name = (
                f"{rng.choice(BRANDS)} {rng.choice(PRODUCTS[category])} "
                f"{rng.choice(EDITIONS)} {index + 1:05d}"
            )
            keys = self.features[index]
            description = (
                f"{name} for {category.replace('-', ' ')} teams: "
                + ", ".join(key.replace("_", " ") for key in keys)
                + "."
            )
            metadata = {**DEMO_MARKER, "provider": rng.choice(BRANDS).lower(), "seq": index}
            yield (
                add_on_id,
                name,
                slugify(name),
                description,
                category,
                _money(self.price_cents[index]),
                self.billing[index],
                json.dumps(keys),
                rng.random() < 0.95,
                json.dumps(metadata),
                rng.randint(1, 1_000),
            )

    def add_on_features(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        for index, add_on_id in enumerate(self.add_on_ids):
            for key in self.features[index]:
                configuration = (
                    {"limit": rng.choice((100, 1_000, 10_000))} if rng.random() < 0.3 else {}
                )
                yield (self._uuid(), add_on_id, key, rng.random() < 0.97, json.dumps(configuration))

    def bundles(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        for index in range(self.sizes.bundles):
            members = self._distinct_add_ons(min(self.sizes.add_ons, rng.randint(2, 5)))
            window = rng.random()
            valid_from = valid_until = None
            if window < 0.2:  # seasonal: a window around today, or one already over
                valid_from = self.ago(120, 10)
                valid_until = valid_from + timedelta(days=rng.randint(30, 180))
            name = f"{rng.choice(BRANDS)} {rng.choice(EDITIONS)} Bundle {index + 1:05d}"
            percent = rng.choice(("10.00", "15.00", "20.00", "25.00"))
            active = rng.random() < 0.9
            if active:
                self.bundle_plans.append(prices.BundlePlan(bundle_label(name), members, percent))
            yield (
                self._uuid(),
                name,
                "A demo bundle of related add-ons.",
                "{" + ",".join(self.add_on_ids[i] for i in members) + "}",
                percent,
                active,
                valid_from,
                valid_until,
                rng.randint(1, 1_000),
            )

    def subscriptions(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        users = self.sizes.users
        counts = self.allocate(
            self.sizes.subscriptions,
            self.sizes.add_ons,
            [rng.lognormvariate(0, 0.8) for _ in range(users)],
        )
        self.held = []
        sequence = 0
        for user_index, count in enumerate(counts):
            user_id = demo_user_id(user_index)
            chosen = self._distinct_add_ons(count)
            self.held.append(chosen)
            for add_on in chosen:
                sequence += 1
                billing = self.billing[add_on]
                period = PERIOD_DAYS[billing]
                status = pick(rng.random(), SUBSCRIPTION_MIX)
                expires_at: datetime | None = None
                if period:
                    if status == "expired" or (status == "active" and rng.random() < 0.04):
                        # Expired, or active but past its date until the maintenance job runs.
                        expires_at = self.ago(365, 0.01)
                    else:
                        expires_at = self.as_of + timedelta(seconds=rng.uniform(60, period * DAY))
                reference = min(expires_at, self.as_of) if expires_at else self.as_of
                # A growing shop: more sign-ups recently than two years ago.
                purchased_at = reference - timedelta(seconds=DAY + 729 * DAY * rng.random() ** 1.6)
                cancelled = status == "cancelled"
                # Renewal off: it stops at its end date (the page's "expiring" list).
                renews = not cancelled and billing != "one_time" and rng.random() >= RENEWAL_OFF
                sold_as, renews_at = prices.renewal(
                    rng, self.billing[add_on], self.price_cents[add_on]
                )
                yield (
                    self._uuid(),
                    user_id,
                    self.add_on_ids[add_on],
                    status,
                    purchased_at,
                    expires_at,
                    f"sub_demo{sequence:09d}" if period and status != "pending" else None,
                    renews,
                    self.ago((self.as_of - purchased_at).days) if cancelled else None,
                    rng.choice(("too expensive", "no longer needed", None)) if cancelled else None,
                    renews_at,
                    sold_as,
                )

    def cart_items(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        for user_index, size in zip(self.cart_owners, self.cart_sizes, strict=True):
            user_id = demo_user_id(user_index)
            owned = self.held[user_index] if self.held else []
            if self.sizes.add_ons - len(owned) < size:
                owned = []  # holds nearly everything: carts a renewal or a second seat
            for add_on in self._distinct_add_ons(size, exclude=owned):
                yield (
                    self._uuid(),
                    user_id,
                    self.add_on_ids[add_on],
                    1 if rng.random() < 0.9 else rng.randint(2, 3),
                    self.ago(45),
                    _money(self.price_cents[add_on]),
                )
