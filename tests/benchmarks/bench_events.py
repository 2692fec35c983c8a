"""Deliver 1,000 queued events to a fast local webhook receiver; print events/s and the p50/p99
delivery latency against the issue's target.

    BENCH_DATABASE_URL=postgresql://… python -m tests.benchmarks.bench_events

A database of its own (`<bench database>_events`, made fresh and migrated) holds one endpoint
pointing at a receiver on 127.0.0.1 (tests/fixtures/webhook_receiver.py: it answers 200 at
once). 1,000 `entitlements.updated` events for 100 users (10 each) are queued in one
transaction, then one `deliver-outbox` run (marketplace.billing.sync.sync_billing, as the CLI
calls it) sends them: signed, logged, each entry marked delivered. Figures: events/s over the
run; per-delivery latency (the POST's round trip, from the delivery log); time in queue (from
the run's start to the receiver's arrival). It checks every event arrived exactly once and in
order per user. Target (issue 14): >= 200 events/s; exit 1 when missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import make_url

from marketplace import create_app
from marketplace.admin.audit.service import Actor
from marketplace.admin.webhooks.service import EndpointData, create_endpoint
from marketplace.billing.sync import sync_billing
from marketplace.database import normalize_url, safe_url
from marketplace.events.emit import ENTITLEMENTS_UPDATED, emit
from marketplace.extensions import db
from marketplace.models import WebhookDelivery
from marketplace.vocabulary import Role
from tests.benchmarks.bench_queries import percentile
from tests.fixtures.database import migrated_database, server_url

EVENTS_PER_S_TARGET = 200
USERS = 100


def events_database() -> str:
    """A fresh, migrated database on the benchmark server (BENCH_DATABASE_URL, else the
    embedded one), named after the benchmark database with `_events`."""
    configured = os.environ.get("BENCH_DATABASE_URL")
    if configured:
        url = make_url(normalize_url(configured))
        name = f"{url.database}_events"
        return migrated_database(url.set(database=name).render_as_string(False))
    return migrated_database(server_url("marketplace_bench_events"))


@dataclass
class Receiver:
    """A webhook receiver in a process of its own (tests/fixtures/webhook_receiver.py)."""

    url: str
    arrivals: list[tuple[float, dict]] = field(default_factory=list)  # (monotonic s, event)


@contextmanager
def receiver_process() -> Iterator[Receiver]:
    """Start the receiver; when done, collect what it received (in arrival order)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fixtures.webhook_receiver"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    receiver = Receiver(url=process.stdout.readline().strip())
    try:
        yield receiver
    finally:
        out, _ = process.communicate("", timeout=60)
        for line in out.splitlines():
            row = json.loads(line)
            receiver.arrivals.append((row["arrived"], row["body"]))


def queue(count: int, url: str) -> None:
    """One endpoint for `url`, and `count` events for USERS users, committed."""
    session = db.session()
    create_endpoint(
        session,
        Actor(user_id="bench", role=Role.ADMIN),
        EndpointData(url=url, event_types=(ENTITLEMENTS_UPDATED,)),
        private_ok=True,  # the local receiver
    )
    changes = [
        (ENTITLEMENTS_UPDATED, user, {"user_id": user, "n": n, "feature_keys": ["tts"]})
        for n, user in ((n, f"user-{n % USERS:03d}") for n in range(count))
    ]
    emit(session, changes)
    session.commit()


def in_order(receiver: Receiver) -> bool:
    """Each user's events arrived in the order they were queued."""
    by_user: dict[str, list[int]] = {}
    for _, event in receiver.arrivals:
        by_user.setdefault(event["data"]["user_id"], []).append(event["data"]["n"])
    return all(ns == sorted(ns) for ns in by_user.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    args = parser.parse_args()
    url = events_database()
    print(f"database: {safe_url(url)}")
    print(f"{os.cpu_count()} cores, 1-minute load average {os.getloadavg()[0]:.2f}")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_FILE_DIR": "/tmp/bench-events-mail"})
    with receiver_process() as receiver, app.app_context():
        queue(args.events, receiver.url)
        started_wall, started, cpu = time.monotonic(), time.perf_counter(), time.process_time()
        report = sync_billing(db.session(), app.config, limit=args.events)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        durations = list(db.session.scalars(select(WebhookDelivery.duration_ms)))
    waits = [(arrived - started_wall) * 1000 for arrived, _ in receiver.arrivals]
    ids = [event["id"] for _, event in receiver.arrivals]
    ordered = in_order(receiver)
    rate = report.events_delivered / seconds
    complete = report.events_delivered == len(ids) == len(set(ids)) == args.events
    print(f"\n{args.events} events, 1 endpoint, one deliver-outbox run\n")
    header = (
        f"{'delivered':>9} {'failed':>6} {'seconds':>8} {'events/s':>9} {'POST p50':>9} "
        f"{'POST p99':>9} {'queue p50':>10} {'queue p99':>10}  {'target':<16} result"
    )
    print(header)
    print("-" * len(header))
    passed = rate >= EVENTS_PER_S_TARGET and complete and ordered
    print(
        f"{report.events_delivered:>9} {report.events_failed:>6} {seconds:>8.2f} {rate:>9.0f} "
        f"{percentile(durations, 0.5):>7.1f}ms {percentile(durations, 0.99):>7.1f}ms "
        f"{percentile(waits, 0.5):>8.0f}ms {percentile(waits, 0.99):>8.0f}ms  "
        f"{'>= 200 events/s':<16} {'PASS' if passed else 'FAIL'}"
    )
    print(f"\nevery event once: {complete}; in order per user: {ordered}")
    per_event = cpu / args.events * 1000
    print(f"sender CPU: {cpu:.2f} s of {seconds:.2f} s ({per_event:.2f} ms an event)")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
