"""Checkout: Stripe (or offline test) payment of the cart, fulfilment and webhooks."""
