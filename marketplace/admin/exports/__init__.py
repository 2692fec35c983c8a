"""CSV exports of purchases, subscriptions, customers and promo redemptions, streamed."""
