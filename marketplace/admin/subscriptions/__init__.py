"""Admin subscriptions: search, cancel, extend, suspend, reactivate, grant complimentary."""
