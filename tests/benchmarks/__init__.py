"""Benchmarks against a large demo data set; run as modules, never collected by pytest."""
