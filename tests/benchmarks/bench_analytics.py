"""Time the analytics rollups' refresh and the analytics page per preset on the full demo data
set; print p50/p99 against the issue's targets.

    BENCH_DATABASE_URL=postgresql://… python -m tests.benchmarks.bench_analytics

The database is chosen, migrated and filled with the demo data set exactly as in
`bench_queries` (100k users, 1M subscriptions, 1M purchases, 10k add-ons, with their
histories). First the full `flask maintain refresh-analytics` is timed (each rollup and the
whole, target < 60 s), then the incremental one (`--incremental`, target < 1 s) twice: once as
if the previous refresh had run a day earlier (it rewrites yesterday's and today's rows — a
day's sales, refunds, subscription changes and funnel events — and the older promo and bundle
days refunded or paid since; rolled back afterwards), and once right after the full one.
Then gunicorn serves `app:app` with the production settings and one worker; signed in as an
admin, each preset's page, htmx partial and JSON are fetched `--rounds` times after a
warm-up, over 127.0.0.1. Target: p99 < 150 ms for every preset (revenue per add-on reads two
rows of running totals whatever the range). Exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from marketplace import create_app
from marketplace.database import safe_url
from marketplace.maintenance.analytics import MILLI, TABLES, Refreshed, refresh
from marketplace.maintenance.tables import vacuum_rewritten
from tests.benchmarks.bench_exports import signed_in_admin
from tests.benchmarks.bench_http import report_machine_load, serve
from tests.benchmarks.bench_queries import database_url, prepare

PAGE_TARGET_MS = 150.0
REFRESH_TARGET_S = 60.0
INCREMENTAL_TARGET_S = 1.0
PRESETS = {
    "30 days": "range=30d",
    "90 days": "range=90d",
    "12 months": "range=12m",
    "custom 2 years": "range=custom&start={two_years_ago}&end={today}",
}
VIEWS = {
    "page": ("/admin/analytics", {}),
    "htmx partial": ("/admin/analytics", {"HX-Request": "true"}),
    "JSON": ("/admin/analytics.json", {}),
}


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_refresh(session) -> bool:
    """Refresh every rollup fully, then incrementally (a day's changes, then none); print each
    rollup's time and the totals against the targets."""
    full = refresh(session)
    session.commit()
    began = time.perf_counter()
    assert vacuum_rewritten(session.get_bind(), TABLES)  # as the command does after a full one
    vacuumed = Decimal(time.perf_counter() - began).quantize(MILLI)
    full = Refreshed(full.started_at, {**full.seconds, "(vacuum the rollups)": vacuumed})
    passed = report_refresh("refresh-analytics (full)", full, REFRESH_TARGET_S)
    # As if the previous refresh had run a day ago: rewrites yesterday and today.
    session.execute(
        text("UPDATE analytics_refreshes SET started_at = started_at - interval '1 day'")
    )
    day = refresh(session, incremental=True)
    session.rollback()
    passed &= report_refresh("--incremental, a day's changes", day, INCREMENTAL_TARGET_S)
    again = refresh(session, incremental=True)
    session.commit()
    return passed & report_refresh("--incremental, right after", again, INCREMENTAL_TARGET_S)


def report_refresh(title: str, done: Refreshed, target: float) -> bool:
    print(f"\n{title:<36} {'seconds':>9}")
    for name, seconds in done.seconds.items():
        print(f"  {name:<34} {seconds:>9}")
    passed = float(done.total) < target
    print(
        f"  {'total':<34} {done.total:>9}   target < {target:g} s   {'PASS' if passed else 'FAIL'}"
    )
    return passed


def fetch(opener: urllib.request.OpenerDirector, url: str, headers: dict[str, str]) -> float:
    request = urllib.request.Request(url, headers=headers)
    started = time.perf_counter()
    with opener.open(request, timeout=30) as response:
        response.read()
        if response.status != 200:
            raise SystemExit(f"{url}: {response.status}")
    return (time.perf_counter() - started) * 1000


def time_pages(base: str, rounds: int, today: str, two_years_ago: str) -> bool:
    opener = signed_in_admin(base)
    print(f"\n{'analytics page':<34} {'p50 ms':>8} {'p99 ms':>8} {'target':>9}")
    passed = True
    for preset, query in PRESETS.items():
        query = query.format(today=today, two_years_ago=two_years_ago)
        for view, (path, headers) in VIEWS.items():
            url = f"{base}{path}?{query}"
            for _ in range(3):
                fetch(opener, url, headers)
            samples = [fetch(opener, url, headers) for _ in range(rounds)]
            p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
            ok = p99 < PAGE_TARGET_MS
            passed &= ok
            print(
                f"  {preset + ', ' + view:<32} {p50:8.1f} {p99:8.1f} "
                f"{'< ' + str(int(PAGE_TARGET_MS)):>9} {'PASS' if ok else 'FAIL'}"
            )
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=42, help="demo data")
    parser.add_argument("--rounds", type=int, default=100, help="requests per preset and view")
    args = parser.parse_args(argv)

    url = database_url()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ECHO": False})
    print(f"database {safe_url(url)}")
    report_machine_load()
    with app.app_context():
        from flask_migrate import upgrade

        from marketplace.extensions import db
        from marketplace.models.base import utcnow

        upgrade()
        prepare(db.session, args.seed)
        db.session.commit()
        refreshed = time_refresh(db.session)
        today = utcnow().date()
    two_years_ago = today.replace(year=today.year - 2)
    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as tmp:
        with serve(url, Path(tmp) / "gunicorn.log", options=["--workers", "1"]) as port:
            pages = time_pages(
                f"http://127.0.0.1:{port}",
                args.rounds,
                today.isoformat(),
                two_years_ago.isoformat(),
            )
    print(
        "\nOne gunicorn sync worker with the production config, over 127.0.0.1, sequential "
        f"requests ({args.rounds} per line after 3 warm-ups), as an admin. PASS: full refresh "
        "< 60 s, incremental < 1 s and every p99 < 150 ms; else FAIL (exit 1)."
    )
    return 0 if refreshed and pages else 1


if __name__ == "__main__":
    raise SystemExit(main())
