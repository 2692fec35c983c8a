"""What the deployment guide names, as the tests expect to find it."""

GUIDE_TABLES = frozenset(
    {
        "add_ons",
        "user_add_ons",
        "add_on_purchases",
        "add_on_bundles",
        "pricing_rules",
        "cart_items",
        "add_on_features",
        "promotional_codes",
    }
)
PLATFORM_TABLES = frozenset({"subscription_tiers", "feature_definitions"})
