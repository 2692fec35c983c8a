"""Outgoing events: what changed for a user, signed and delivered to the configured endpoints."""
