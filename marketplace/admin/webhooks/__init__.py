"""Webhook endpoints: where outgoing events go, their secrets, their delivery logs."""
