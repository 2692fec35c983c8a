"""Promo codes as the shop sees them: lookup by what the shopper typed, and shopper facts."""
