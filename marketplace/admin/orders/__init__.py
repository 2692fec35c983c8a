"""Admin orders: the filterable order list and one order's page (read-only)."""
