"""Admin customers: search by user id or e-mail, one page per customer (read-only)."""
