"""Tier pricing rules administration: list, form with validated conditions, price per tier."""
