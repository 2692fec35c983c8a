"""The pricing engine: pure functions from plain cart data to a Quote (no Flask, no database).

Money is ``Decimal`` rounded half up to the cent; times are timezone-aware.
"""

from .bundles import BundlePrice, bundle_price
from .engine import quote
from .models import (
    AppliedBundle,
    AppliedPromo,
    BundleOffer,
    CartLine,
    LineQuote,
    PeriodTotals,
    PromoCode,
    PromoRejection,
    Quote,
    RejectionReason,
    Shopper,
    TierRule,
)
from .money import round_money
from .promotions import (
    RESTRICTION_KEYS,
    UNKNOWN_PROMO,
    check_promo,
    history_rejection,
    normalize_code,
)
from .rules import CONDITION_KEYS, condition_problems

__all__ = [
    "CONDITION_KEYS",
    "RESTRICTION_KEYS",
    "UNKNOWN_PROMO",
    "AppliedBundle",
    "AppliedPromo",
    "BundleOffer",
    "BundlePrice",
    "CartLine",
    "LineQuote",
    "PeriodTotals",
    "PromoCode",
    "PromoRejection",
    "Quote",
    "RejectionReason",
    "Shopper",
    "TierRule",
    "bundle_price",
    "condition_problems",
    "check_promo",
    "history_rejection",
    "normalize_code",
    "quote",
    "round_money",
]
