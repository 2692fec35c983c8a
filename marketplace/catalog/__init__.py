"""Catalog pages: the add-on grid with filters, search and sort, and the product page."""
