"""Transactional e-mail: letters owed since a commit go through the outbox, rendered and sent
at delivery (SMTP, or `.eml` files when no mail server is configured)."""
