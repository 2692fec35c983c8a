"""Lago billing sync: calls owed to Lago are written to an outbox and delivered after commit."""
