"""`make run` serves on `PORT` and stops on Ctrl-C without a make error.

Ctrl-C in a terminal sends SIGINT to the foreground process group: make, the recipe's shell and
flask alike. The test starts `make run` in a process group of its own and does the same.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy.engine import make_url

from marketplace.config import PROJECT_ROOT
from tests.fixtures.database import recreate_database

STARTUP_SECONDS = 90
STOP_SECONDS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make run exited with {process.returncode} before serving")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    pytest.fail(f"make run did not answer {url} within {STARTUP_SECONDS} s")


@pytest.fixture
def run_database_url(database_url) -> str:
    url = make_url(database_url)
    return recreate_database(url.set(database=f"{url.database}_make_run").render_as_string(False))


def start_make_run(database_url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        # ... with Ctrl-C's default action, as a terminal gives it: a shell starting the suite
        # in the background (`make test &`) makes it ignore SIGINT, and children inherit that.
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt(process: subprocess.Popen) -> tuple[str, str]:
    """Send SIGINT to the whole group (what Ctrl-C does); return stdout and stderr."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        return process.communicate(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"make run was still running {STOP_SECONDS} s after Ctrl-C")


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_ctrl_c_stops_make_run_on_its_port_without_a_make_error(run_database_url):
    port = free_port()
    process = start_make_run(run_database_url, port)
    wait_until_healthy(process, f"http://127.0.0.1:{port}/healthz")

    _out, err = interrupt(process)

    assert "make: ***" not in err
    assert "Traceback" not in err
    assert "Aborted!" not in err
    # The recipe's shell exits 0 on the interrupt; make itself then ends by the interrupt it
    # received (how every program reports Ctrl-C to its shell, which prints nothing for it).
    assert process.returncode in (0, -signal.SIGINT)
    assert port_is_free(port)


def test_ctrl_c_while_make_run_is_still_starting_is_no_make_error(run_database_url):
    process = start_make_run(run_database_url, free_port())
    time.sleep(1.0)  # inside `flask db upgrade` or `flask seed`

    _out, err = interrupt(process)

    assert "make: ***" not in err
    assert process.returncode in (0, -signal.SIGINT)
