"""Price a cart: tier rules, then bundles, then one promo code (DESIGN.md, "Pricing")."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from .bundles import BundleDeal, choose_bundles
from .models import (
    AppliedBundle,
    AppliedPromo,
    BundleOffer,
    CartLine,
    LineQuote,
    PromoCode,
    Quote,
    Shopper,
    TierRule,
)
from .money import ZERO
from .promotions import check_promo, promo_discounts
from .rules import rule_discount, select_rule
from .validity import require_aware


def quote(
    lines: Sequence[CartLine],
    *,
    shopper: Shopper,
    rules: Sequence[TierRule] = (),
    bundles: Sequence[BundleOffer] = (),
    promo: PromoCode | None = None,
    now: datetime,
) -> Quote:
    """Price ``lines`` for ``shopper`` at ``now`` (timezone-aware).

    Tier and bundle discounts lower the price of every period; the promo code lowers only what
    is due today. A promo code that cannot be used changes no price: the quote carries why.
    Each add-on may appear on one line only.
    """
    require_aware(now, "now")
    _require_one_line_per_add_on(lines)
    available = frozenset(line.add_on_id for line in lines) | shopper.owned_add_on_ids
    priced = tuple(
        _tier_priced(line, rules, tier=shopper.tier, available=available, now=now) for line in lines
    )
    deals = choose_bundles(
        bundles, {line.add_on_id: line.recurring_total for line in priced}, now=now
    )
    priced = _with_bundles(priced, deals)
    applied_bundles = tuple(
        AppliedBundle(bundle_id=deal.bundle.id, name=deal.bundle.name, discount=deal.saving)
        for deal in deals
    )
    rejection = None if promo is None else check_promo(promo, priced, shopper=shopper, now=now)
    if promo is None or rejection is not None:
        return Quote(lines=priced, applied_bundles=applied_bundles, promo_rejection=rejection)
    discounts = promo_discounts(promo, priced)
    return Quote(
        lines=tuple(
            replace(line, promo_discount=discounts.get(line.add_on_id, ZERO)) for line in priced
        ),
        applied_bundles=applied_bundles,
        promo=AppliedPromo(code=promo.code, discount=sum(discounts.values(), ZERO)),
    )


def _require_one_line_per_add_on(lines: Sequence[CartLine]) -> None:
    seen: set[UUID] = set()
    for line in lines:
        if line.add_on_id in seen:
            raise ValueError(f"{line.name} is on more than one cart line; merge the quantities")
        seen.add(line.add_on_id)


def _tier_priced(
    line: CartLine,
    rules: Sequence[TierRule],
    *,
    tier: str | None,
    available: frozenset[UUID],
    now: datetime,
) -> LineQuote:
    rule = select_rule(line, rules, tier=tier, available=available, now=now)
    return LineQuote(
        add_on_id=line.add_on_id,
        name=line.name,
        billing_type=line.billing_type,
        quantity=line.quantity,
        unit_price=line.unit_price,
        subtotal=line.subtotal,
        tier_discount=ZERO if rule is None else rule_discount(rule, line.subtotal),
        tier_rule_id=None if rule is None else rule.id,
        bundle_discount=ZERO,
        bundle_id=None,
        promo_discount=ZERO,
    )


def _with_bundles(
    lines: tuple[LineQuote, ...], deals: Sequence[BundleDeal]
) -> tuple[LineQuote, ...]:
    deal_by_add_on = {add_on_id: deal for deal in deals for add_on_id in deal.discounts}
    return tuple(
        line
        if (deal := deal_by_add_on.get(line.add_on_id)) is None
        else replace(line, bundle_discount=deal.discounts[line.add_on_id], bundle_id=deal.bundle.id)
        for line in lines
    )
