"""Bundles administration: the list, the form with its live price preview, (de)activation."""
