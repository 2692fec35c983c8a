"""Fixtures shared by every folder, registered once as plugins (`tests/fixtures/`).

A folder's conftest.py holds only what is local to it, and imports from no other conftest.
"""

pytest_plugins = [
    "tests.fixtures.speed",
    "tests.fixtures.database",
    "tests.fixtures.shoppers",
    "tests.fixtures.catalog",
    "tests.fixtures.fakes",
    "tests.fixtures.identity",
    "tests.fixtures.mail",
]
