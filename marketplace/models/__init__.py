"""SQLAlchemy models, one module per aggregate; importing this registers every table."""

from marketplace.models.bundles import AddOnBundle
from marketplace.models.cart import CartItem
from marketplace.models.catalog import AddOn, AddOnFeature
from marketplace.models.payments import BillingOutboxEntry, StripeEvent
from marketplace.models.platform import FeatureDefinition, SubscriptionTier
from marketplace.models.pricing_rules import PricingRule
from marketplace.models.promotions import PromotionalCode
from marketplace.models.purchases import AddOnPurchase
from marketplace.models.subscriptions import UserAddOn

__all__ = [
    "AddOn",
    "AddOnBundle",
    "AddOnFeature",
    "AddOnPurchase",
    "BillingOutboxEntry",
    "CartItem",
    "FeatureDefinition",
    "PricingRule",
    "PromotionalCode",
    "StripeEvent",
    "SubscriptionTier",
    "UserAddOn",
]
