"""Revenue and subscription analytics as pure functions (DESIGN.md, "Analytics").

Like `marketplace.pricing`: plain data in, frozen results out, Decimal money, no Flask and no
database. The SQL in `marketplace.admin.analytics` computes the same figures set-based; tests
check the two against each other.
"""

from marketplace.analytics.definitions import (
    Churn,
    Movement,
    Movements,
    MrrSummary,
    Subscription,
    SubscriptionChange,
    churn,
    classify,
    monthly_amount,
    movements,
    mrr_summary,
    recurring_amount,
)

__all__ = [
    "Churn",
    "Movement",
    "Movements",
    "MrrSummary",
    "Subscription",
    "SubscriptionChange",
    "churn",
    "classify",
    "monthly_amount",
    "movements",
    "mrr_summary",
    "recurring_amount",
]
