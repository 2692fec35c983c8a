"""The embedded PostgreSQL default: shared by processes, stopped by the last one, on SIGTERM too."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from marketplace.database import libpq_conninfo

# A process that joins the embedded server in `instance` and waits to be signalled.
HOLDER = """
import signal, sys
from pathlib import Path
from marketplace.database import embedded_url
print(embedded_url(Path(sys.argv[1]), "held"), flush=True)
signal.pause()
"""


def start_holder(instance: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(instance)], stdout=subprocess.PIPE, text=True
    )
    url = process.stdout.readline().strip()
    process.stdout.close()
    assert url, "the holder process could not start the embedded server"
    return process, url


def server_answers(url: str) -> bool:
    try:
        with psycopg.connect(libpq_conninfo(url), connect_timeout=2) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)
    except psycopg.OperationalError:
        return False


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "instance"


def test_two_processes_share_the_server_and_the_last_one_stops_it(instance):
    first, url = start_holder(instance)
    second, second_url = start_holder(instance)
    assert second_url == url
    assert server_answers(url)

    stop(first)
    assert server_answers(url), "the server must outlive a process while another uses it"
    stop(second)
    assert not server_answers(url)
    assert not (instance / "pgdata" / "postmaster.pid").exists()


def test_a_process_killed_without_its_exit_hook_does_not_keep_the_server_alive(instance):
    killed, url = start_holder(instance)
    killed.kill()  # SIGKILL: no exit hook runs, its pid stays in the handle list
    killed.wait(timeout=30)
    handles = instance / "pgdata" / ".handle_pids.json"
    assert json.loads(handles.read_text()) == [killed.pid]

    survivor, _ = start_holder(instance)
    stop(survivor)
    assert not server_answers(url)
    assert json.loads(handles.read_text()) == []
