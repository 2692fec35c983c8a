"""How each billing type reads to a shopper; one vocabulary for pages, cart and receipts."""

# "Monthly": a period's heading (cart totals, receipts).
NAMES = {
    "one_time": "One-time",
    "monthly": "Monthly",
    "annual": "Annual",
    "usage_based": "Usage-based",
}
# "per month": after a price in a sentence.
PHRASES = {
    "one_time": "one-time payment",
    "monthly": "per month",
    "annual": "per year",
    "usage_based": "usage-based",
}
# "/mo": right after a price.
SUFFIXES = {"one_time": "", "monthly": "/mo", "annual": "/yr", "usage_based": "/mo + usage"}
