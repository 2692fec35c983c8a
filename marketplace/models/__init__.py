"""SQLAlchemy models, one module per aggregate; importing this registers every table."""

from marketplace.models.analytics import AnalyticsRefresh, FunnelEvent, SubscriptionChange
from marketplace.models.api import CartPromoCode, IdempotencyKey
from marketplace.models.audit import AdminAuditEntry, CatalogVersion
from marketplace.models.bundles import AddOnBundle
from marketplace.models.cart import CartItem
from marketplace.models.catalog import AddOn, AddOnFeature
from marketplace.models.contacts import ShopperContact
from marketplace.models.orders import Order, PurchaseDiscount
from marketplace.models.payments import BillingOutboxEntry, StripeEvent
from marketplace.models.platform import FeatureDefinition, SubscriptionTier
from marketplace.models.pricing_rules import PricingRule
from marketplace.models.promotions import PromotionalCode
from marketplace.models.purchases import AddOnPurchase
from marketplace.models.refunds import Refund, RefundLine
from marketplace.models.sessions import SessionGeneration
from marketplace.models.subscriptions import UserAddOn
from marketplace.models.webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "AdminAuditEntry",
    "AddOn",
    "AddOnBundle",
    "AddOnFeature",
    "AddOnPurchase",
    "AnalyticsRefresh",
    "BillingOutboxEntry",
    "CartItem",
    "CartPromoCode",
    "CatalogVersion",
    "FeatureDefinition",
    "FunnelEvent",
    "IdempotencyKey",
    "Order",
    "PricingRule",
    "PromotionalCode",
    "PurchaseDiscount",
    "Refund",
    "RefundLine",
    "SessionGeneration",
    "ShopperContact",
    "StripeEvent",
    "SubscriptionChange",
    "SubscriptionTier",
    "UserAddOn",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]

# The deployment guide's 8 tables, and the platform tables they reference.
MARKETPLACE_TABLES = (
    "add_ons",
    "user_add_ons",
    "add_on_purchases",
    "add_on_bundles",
    "pricing_rules",
    "cart_items",
    "add_on_features",
    "promotional_codes",
)
PLATFORM_TABLES = ("subscription_tiers", "feature_definitions")
