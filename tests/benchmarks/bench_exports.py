"""Export a million purchases as CSV through a real server; print rows/s, time to first byte
and the worker's memory growth against the issue's targets.

    BENCH_DATABASE_URL=postgresql://… python -m tests.benchmarks.bench_exports

The database is chosen, migrated and filled with the demo data set exactly as in
`bench_queries` (1M purchases). gunicorn serves `app:app` with the production server settings
and one worker (so the worker is known), signed in through the development sign-in as an
admin. After a warm-up export (an empty one: imports, templates and the connection are ready),
the worker's peak RSS is reset (`/proc/<pid>/clear_refs`), the whole purchases export is read
over HTTP, and the worker's VmHWM (peak resident memory) is compared with its VmRSS before.
Targets (issue 14): >= 100,000 rows/s and RSS growth < 50 MB; exit 1 when missed.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

from marketplace import create_app
from marketplace.database import safe_url
from tests.benchmarks.bench_http import CSRF_IN_BODY, report_machine_load, serve
from tests.benchmarks.bench_queries import database_url, prepare

ROWS_PER_S_TARGET = 100_000
RSS_GROWTH_LIMIT_MB = 50.0
READ_BYTES = 1 << 20
EXPORT = "/admin/exports/purchases.csv"


@dataclass(frozen=True)
class Run:
    rows: int
    megabytes: float
    seconds: float
    first_byte_s: float
    rss_before_mb: float
    peak_mb: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds

    @property
    def growth_mb(self) -> float:
        return max(self.peak_mb - self.rss_before_mb, 0.0)


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of process `pid`, in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) / 1024
    return found


def reset_peak(pid: int) -> bool:
    """Start VmHWM again from the current RSS (Linux ≥ 4.0); False where that is refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def signed_in_admin(base: str) -> urllib.request.OpenerDirector:
    """An HTTP client with the cookie of an admin signed in through the development form."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(f"{base}/login", timeout=10) as response:
        page = response.read().decode()
    found = CSRF_IN_BODY.search(page)
    if not found:
        raise SystemExit("no CSRF token on /login")
    token = json.loads(found.group(1).replace("&#34;", '"').replace("&quot;", '"'))["X-CSRFToken"]
    form = {"user_id": "bench-admin", "is_admin": "y", "csrf_token": token}
    with opener.open(f"{base}/login", urllib.parse.urlencode(form).encode(), timeout=10):
        pass
    return opener


def export(opener: urllib.request.OpenerDirector, url: str, worker: int) -> Run:
    before = memory_mb(worker)["VmRSS"]
    started = time.perf_counter()
    with opener.open(url, timeout=120) as response:
        if response.status != 200 or not response.headers["Content-Type"].startswith("text/csv"):
            raise SystemExit(f"{url}: {response.status} {response.headers['Content-Type']}")
        first = response.read1(READ_BYTES)
        first_byte = time.perf_counter() - started
        lines, size = first.count(b"\n"), len(first)
        while chunk := response.read1(READ_BYTES):
            lines += chunk.count(b"\n")
            size += len(chunk)
    seconds = time.perf_counter() - started
    peak = memory_mb(worker)["VmHWM"]
    # No purchase column holds a line break: one line per row, after the header.
    return Run(lines - 1, size / 1e6, seconds, first_byte, before, peak)


def report(run: Run, peak_reset: bool) -> bool:
    rate_ok = run.rows_per_s >= ROWS_PER_S_TARGET
    rss_ok = run.growth_mb < RSS_GROWTH_LIMIT_MB
    header = f"{'measure':<32} {'value':>14}  {'target':<16} result"
    print(header)
    print("-" * len(header))
    print(f"{'rows':<32} {run.rows:>14,}")
    print(f"{'CSV size':<32} {run.megabytes:>11,.1f} MB")
    print(f"{'total time':<32} {run.seconds:>12.2f} s")
    print(f"{'rows/s':<32} {run.rows_per_s:>14,.0f}  {'>= 100,000':<16} "
          f"{'PASS' if rate_ok else 'FAIL'}")  # fmt: skip
    print(f"{'time to first byte':<32} {run.first_byte_s * 1000:>11.1f} ms")
    print(f"{'worker RSS before':<32} {run.rss_before_mb:>11.1f} MB")
    print(f"{'worker peak RSS (VmHWM) during':<32} {run.peak_mb:>11.1f} MB")
    print(f"{'worker RSS growth':<32} {run.growth_mb:>11.1f} MB  {'< 50 MB':<16} "
          f"{'PASS' if rss_ok else 'FAIL'}")  # fmt: skip
    if not peak_reset:
        print("(VmHWM could not be reset: the peak may predate the export — an upper bound)")
    return rate_ok and rss_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=42, help="demo data")
    parser.add_argument("--query", default="", help="filters, e.g. status=completed")
    args = parser.parse_args(argv)

    url = database_url()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ECHO": False})
    print(f"database {safe_url(url)}")
    report_machine_load()
    with app.app_context():
        from flask_migrate import upgrade

        from marketplace.extensions import db

        upgrade()
        prepare(db.session, args.seed)
        db.session.commit()
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        with serve(url, log, options=["--workers", "1"]) as port:
            base = f"http://127.0.0.1:{port}"
            worker = _worker_pid()
            opener = signed_in_admin(base)
            export(opener, f"{base}{EXPORT}?user=nobody", worker)  # warm-up
            peak_reset = reset_peak(worker)
            suffix = f"?{args.query}" if args.query else ""
            run = export(opener, f"{base}{EXPORT}{suffix}", worker)
    print()
    passed = report(run, peak_reset)
    print(
        f"\nGET {EXPORT}{suffix} as an admin, read in 1 MiB pieces over 127.0.0.1; gunicorn "
        "with the production config, 1 sync worker; rows/s over the whole response. "
        "PASS: the issue's targets (>= 100,000 rows/s, RSS growth < 50 MB); else FAIL (exit 1)."
    )
    return 0 if passed else 1


def _worker_pid() -> int:
    """The one gunicorn worker: the child of our child, the gunicorn master serve() started."""
    for child in psutil.Process().children():
        if "gunicorn" in " ".join(child.cmdline()):
            workers = child.children()
            if len(workers) == 1:
                return workers[0].pid
    raise SystemExit("no gunicorn master with one worker among this process's children")


if __name__ == "__main__":
    sys.exit(main())
