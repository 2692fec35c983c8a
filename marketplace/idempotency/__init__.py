"""Idempotency keys: a retried POST that moves money is answered once, then replayed."""
