"""The guide's maintenance work as plain functions: batched row tasks and table upkeep.

`flask maintain` (marketplace/cli/maintain.py) is a thin shell over this package.
"""
