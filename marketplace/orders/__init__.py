"""Orders: one per checkout, a human number once paid, and one receipt (HTML and PDF) each."""
