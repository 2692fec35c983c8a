"""Bundles page: add-ons sold together at a discount."""
