"""The demo data set for development and benchmarks (`flask seed demo`)."""
