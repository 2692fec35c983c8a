"""Operations: the billing outbox (what Lago and Stripe are still owed) and Stripe's events."""
