"""Promo code administration: codes, their usage, and batch generation with a CSV."""
