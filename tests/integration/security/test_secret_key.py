"""Production mode refuses a SECRET_KEY shorter than 32 bytes or a published one, in one line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from marketplace.config import (
    DEVELOPMENT_SECRET_KEY,
    PROJECT_ROOT,
    production_problems,
    secret_key_problem,
)
from tests.fixtures.database import PRODUCTION_CONFIG, STRONG_SECRET_KEY, make_app


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("x" * 31, "(this one has 31)"),
        ("short", "(this one has 5)"),
        ("é" * 15, "(this one has 30)"),  # bytes, not characters
        (DEVELOPMENT_SECRET_KEY, "(this one is a published default)"),
        ("test-secret-key", "(this one is a published default)"),
        # 64 characters, but printed in Flask's documentation.
        (
            "192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf",
            "(this one is a published default)",
        ),
        ("", "(none is set)"),
    ],
)
def test_production_refuses_a_weak_secret_key(database_url, key, reason):
    with pytest.raises(SystemExit) as refused:
        make_app(database_url, **{**PRODUCTION_CONFIG, "SECRET_KEY": key})

    message = str(refused.value)
    assert message == (
        "Error: MARKETPLACE_ENV=production refuses to start without a SECRET_KEY of at least "
        f"32 random bytes {reason}."
    )
    if len(key) > 3:
        assert key not in message  # the key itself is never printed


@pytest.mark.parametrize("key", [STRONG_SECRET_KEY, "y" * 32, STRONG_SECRET_KEY.encode()])
def test_production_accepts_32_bytes_or_more(key):
    assert secret_key_problem(key) is None
    assert production_problems({**PRODUCTION_CONFIG, "SECRET_KEY": key}) == []


def test_development_keeps_its_short_key(database_url):
    app = make_app(database_url, SECRET_KEY="test-secret-key")
    assert app.config["MARKETPLACE_ENV"] == "development"


def test_the_refusal_is_one_line_on_stderr_without_a_traceback():
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "MARKETPLACE_ENV")},
        **PRODUCTION_CONFIG,
        "SECRET_KEY": "tooshort-but-secret",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: MARKETPLACE_ENV=production refuses to start without a SECRET_KEY of at least "
        "32 random bytes (this one has 19)."
    ]
