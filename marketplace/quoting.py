"""The adapter from the database to the pure pricing engine, shared by every page that prices.

Loads, in a fixed number of queries, what `pricing.quote` needs — the tier rules for the
add-ons, the bundles overlapping them, the promo code, the shopper's owned add-ons and purchase
facts — and returns the engine's Quote (or, for the cart, a CartView around it).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from marketplace import pricing
from marketplace.bundles.queries import as_offer, bundles_containing
from marketplace.cart import queries
from marketplace.models import AddOn, AddOnBundle, CartItem, PricingRule
from marketplace.promotions import service as promotions
from marketplace.shopper import Shopper
from marketplace.vocabulary import BillingType


@dataclass(frozen=True)
class CartLineView:
    """A cart line and its price; `price_changed_from` is the price the shopper saw, if it moved."""

    item: CartItem
    quote: pricing.LineQuote
    bundle_name: str | None = None

    @property
    def add_on(self) -> AddOn:
        return self.item.add_on

    @property
    def price_changed_from(self) -> Decimal | None:
        seen = self.item.unit_price_seen
        return seen if seen is not None and seen != self.item.add_on.base_price else None


@dataclass(frozen=True)
class PeriodView:
    """The totals of one billing period, with its bundle savings named per bundle."""

    totals: pricing.PeriodTotals
    bundle_savings: tuple[tuple[str, Decimal], ...]

    @property
    def label(self) -> str:
        return BillingType(self.totals.billing_type).label

    @property
    def suffix(self) -> str:
        return BillingType(self.totals.billing_type).suffix


@dataclass(frozen=True)
class CartView:
    """A priced cart: its lines in the order added, the engine's Quote, and the promo asked for."""

    owner_id: str | None
    lines: tuple[CartLineView, ...]
    quote: pricing.Quote
    promo_code: str | None

    @property
    def is_empty(self) -> bool:
        return not self.lines

    @property
    def count(self) -> int:
        return sum(line.item.quantity for line in self.lines)

    @property
    def periods(self) -> tuple[PeriodView, ...]:
        names = {bundle.bundle_id: bundle.name for bundle in self.quote.applied_bundles}
        views = []
        for period in self.quote.periods:
            savings: dict[str, Decimal] = {}
            for line in period.lines:
                if line.bundle_id is not None:
                    name = names[line.bundle_id]
                    savings[name] = savings.get(name, pricing.round_money(Decimal(0)))
                    savings[name] += line.bundle_discount
            views.append(PeriodView(totals=period, bundle_savings=tuple(savings.items())))
        return tuple(views)

    @property
    def recurring_periods(self) -> tuple[PeriodView, ...]:
        return tuple(p for p in self.periods if p.totals.renewal is not None)


def quote_add_ons(
    session: Session,
    shopper: Shopper,
    items: Sequence[tuple[AddOn, int]],
    promo_code: str | None = None,
    now: datetime | None = None,
    *,
    bundles: Sequence[AddOnBundle] | None = None,
) -> pricing.Quote:
    """Price `items` (add-on, quantity) for `shopper` at `now`, with an optional promo code.

    Prices are the add-ons' current base prices; tier rules, bundles and the code come from the
    database. An unknown code yields a quote with the `unknown` rejection. A caller that already
    loaded the live bundles containing these add-ons (the product page) passes them as
    `bundles`, which saves querying them again.
    """
    return _quote(session, shopper, items, promo_code, now or datetime.now(UTC), bundles)


def quote_cart(
    session: Session, shopper: Shopper, owner_id: str | None, promo_code: str | None
) -> CartView:
    """Price the cart of `owner_id` (None: no cart yet, so empty) for `shopper`, now."""
    items = queries.cart_lines(session, owner_id) if owner_id else []
    lines = [(item.add_on, item.quantity) for item in items]
    quote = _quote(session, shopper, lines, promo_code, datetime.now(UTC))
    # Keyed by the lines' `bundle_id`, None for a line in no bundle (which names none).
    bundle_names: dict[uuid.UUID | None, str] = {
        bundle.bundle_id: bundle.name for bundle in quote.applied_bundles
    }
    return CartView(
        owner_id=owner_id,
        lines=tuple(
            CartLineView(item, line, bundle_names.get(line.bundle_id))
            for item, line in zip(items, quote.lines, strict=True)
        ),
        quote=quote,
        promo_code=promo_code or None,
    )


def _quote(
    session: Session,
    shopper: Shopper,
    items: Sequence[tuple[AddOn, int]],
    promo_code: str | None,
    now: datetime,
    bundles: Sequence[AddOnBundle] | None = None,
) -> pricing.Quote:
    add_on_ids = [add_on.id for add_on, _ in items]
    rules = queries.pricing_rules_for(session, add_on_ids, shopper.tier)
    if bundles is None:
        bundles = bundles_containing(session, add_on_ids, now=now)
    promo_row = promotions.find_code(session, promo_code) if promo_code else None
    if shopper.user_id is not None:
        owned = queries.owned_add_on_ids(session, shopper.user_id, now)
        facts = promotions.purchase_facts(session, shopper.user_id)
    else:
        owned, facts = frozenset(), promotions.PurchaseFacts()
    quote = pricing.quote(
        [_cart_line(add_on, quantity) for add_on, quantity in items],
        shopper=pricing.Shopper(
            tier=shopper.tier,
            has_completed_purchase=facts.has_completed_purchase,
            owned_add_on_ids=owned,
            used_promo_codes=facts.used_promo_codes,
        ),
        rules=[_tier_rule(rule) for rule in rules],
        bundles=[as_offer(bundle) for bundle in bundles],
        promo=None if promo_row is None else promotions.to_pricing(promo_row),
        now=now,
    )
    if promo_code and promo_row is None:
        quote = replace(quote, promo_rejection=pricing.UNKNOWN_PROMO)
    return quote


def _cart_line(add_on: AddOn, quantity: int) -> pricing.CartLine:
    return pricing.CartLine(
        add_on_id=add_on.id,
        name=add_on.name,
        unit_price=add_on.base_price,
        billing_type=add_on.billing_type,
        quantity=quantity,
    )


def _tier_rule(rule: PricingRule) -> pricing.TierRule:
    return pricing.TierRule(
        id=rule.id,
        add_on_id=rule.add_on_id,
        tier_code=rule.tier_code,
        discount_percent=rule.discount_percent,
        discount_amount=rule.discount_amount,
        conditions=dict(rule.conditions or {}),
        priority=rule.priority,
        is_active=rule.is_active,
        valid_from=rule.valid_from,
        valid_until=rule.valid_until,
    )
