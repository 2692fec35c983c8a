"""Flask CLI commands: thin shells over plain functions that tests call directly."""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the marketplace's commands to `flask`."""
