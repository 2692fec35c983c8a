"""The cart: lines, quantities, one promo code, and the priced summary."""
