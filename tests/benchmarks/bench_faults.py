"""Outages under load: what shoppers get while PostgreSQL restarts, and while Stripe hangs.

    python -m tests.benchmarks.bench_faults

The benchmark starts a PostgreSQL cluster of its own (initdb on a free loopback port, in a
temporary folder removed afterwards: never the shared server nor the embedded one), migrates
it, loads the guide's catalog and a few shoppers' carts, and serves `app:app` under gunicorn
with `make serve`'s settings (`marketplace/gunicorn_conf.py`: sync workers, 2 x cores + 1).

Part 1, PostgreSQL restart. Client threads request the catalog page (catalog cache off, so
every request reads the database), a signed-in shopper's cart page and its htmx partial, each
thread sending its next request when the last one is answered, for a few seconds; meanwhile
the cluster is stopped in fast mode (every session ended at once) and started again. Printed:
the requests that failed and how, the ones that were anything but the shop's own 503 with
`Retry-After` (a 500, gunicorn's bare error page, a dropped connection: target 0), and the
time from the server accepting connections again until the shop answers normally (a success,
and no failure after it; target < 1 s, without restarting the app).

Part 2, Stripe never answers. gunicorn is started again with Stripe pointed at a local
stand-in (the tests' FakeStripe, holding every request for an hour) and the default Stripe
settings (2 s connect / 8 s read timeouts, 2 concurrent calls per server, the breaker); its
workers are first warmed up with Stripe answering (pages, and checkouts by other shoppers).
The catalog page (catalog cache on, as by default), a cart page and `/healthz` are then
requested at a fixed rate, open loop: each request's latency counts from when it was due, so a
stalled worker shows in every request that waited for it, not only in the one connection that
was stuck (a closed-loop tool such as wrk would hide it). Then 10 signed-in shoppers check
out at once, and once those are answered 10 more. Targets: catalog p99 < 100 ms while the
first 10 hang (the issue's); every checkout answered with the friendly failure (303 back to
the cart) within the timeouts; at most 2 calls reach Stripe, none after the breaker opened.
Exits 1 on a miss.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from flask import session as flask_session
from flask_migrate import upgrade
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from marketplace import create_app, gunicorn_conf
from marketplace.cli.seed import seed_catalog
from marketplace.database import ensure_database
from marketplace.extensions import db
from marketplace.models import AddOn, CartItem
from tests.benchmarks.bench_http import (
    GUNICORN_CONFIG,
    Request,
    report_machine_load,
    serve,
)
from tests.benchmarks.bench_queries import percentile
from tests.integration.checkout.fakes import WEBHOOK_SECRET, FakeStripe
from tests.private_postgres import PrivateCluster

RECOVERY_LIMIT_S = 1.0
P99_LIMIT_MS = 100.0
CONNECT_TIMEOUT_S = 2.0  # the defaults, spelled out so the run says what it used
READ_TIMEOUT_S = 8.0
STRIPE_SLOTS = 2
CHECKOUTS = 10
FRIENDLY = "couldn&#39;t reach the payment provider"
SECRET_KEY = secrets.token_hex(32)
EXCEPTION_LINE = re.compile(r"^([a-z_][\w.]*\.[A-Z]\w*(?:Error|Exception|Shutdown)\b.*)$", re.M)


# Requests ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint(Request):
    """A request the client threads send (see `Request`), perhaps as htmx."""

    fragment: bool = False  # an htmx request: an error must come back as the inline message


@dataclass(frozen=True)
class Sample:
    endpoint: Endpoint
    due: float  # perf_counter: when it was due (open loop) or sent (closed loop)
    end: float
    status: int  # 0: no HTTP answer at all (refused, reset, timed out)
    retry_after: str | None
    body: str
    cookie: str | None = None  # the session cookie the answer set
    location: str | None = None

    @property
    def ms(self) -> float:
        return (self.end - self.due) * 1000

    @property
    def graceful_503(self) -> bool:
        """The shop's own answer to an outage: 503, Retry-After, the page or the fragment."""
        if self.status != 503 or not self.retry_after:
            return False
        if self.endpoint.fragment:
            return self.body.lstrip().startswith('<div class="alert') and "<html" not in self.body
        return 'class="error-page"' in self.body and "temporarily unavailable" in self.body


class Client:
    """One HTTP/1.1 connection to the server, reopened whenever the server closes it."""

    def __init__(self, port: int, timeout: float = 30) -> None:
        self.port = port
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def send(self, endpoint: Endpoint, due: float | None = None) -> Sample:
        due = time.perf_counter() if due is None else due
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout
                )
            body = "" if endpoint.method == "POST" else None
            self.connection.request(endpoint.method, endpoint.path, body, endpoint.headers)
            response = self.connection.getresponse()
            text = response.read().decode(errors="replace")
            if response.will_close:
                self.close()
            return Sample(
                endpoint,
                due,
                time.perf_counter(),
                response.status,
                response.getheader("Retry-After"),
                text,
                _session_cookie(response.getheader("Set-Cookie")),
                response.getheader("Location"),
            )
        except (OSError, http.client.HTTPException) as error:
            self.close()
            return Sample(endpoint, due, time.perf_counter(), 0, None, repr(error))

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _session_cookie(set_cookie: str | None) -> str | None:
    if not set_cookie or not set_cookie.startswith("session="):
        return None
    return set_cookie.split(";", 1)[0].removeprefix("session=")


def start_threads(run: Callable[[int], None], count: int) -> list[threading.Thread]:
    """Start `count` daemon threads running `run(0)` … `run(count - 1)`; return them."""
    workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for worker in workers:
        worker.start()
    return workers


def closed_loop(port: int, endpoints: list[Endpoint], threads: int, stop: threading.Event):
    """`threads` clients cycling through `endpoints` until `stop`; every sample, in a list."""
    samples: list[Sample] = []

    def run(offset: int) -> None:
        client = Client(port)
        n = offset
        while not stop.is_set():
            samples.append(client.send(endpoints[n % len(endpoints)]))
            n += 1
        client.close()

    return samples, start_threads(run, threads)


def warm_up(port: int, endpoints: list[Endpoint], seconds: float, threads: int = 8) -> None:
    """Untimed load first: every worker imports, compiles and caches what these requests use."""
    stop = threading.Event()
    _, workers = closed_loop(port, endpoints, threads, stop)
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join(timeout=35)


def open_loop(port: int, endpoint: Endpoint, rate: float, threads: int, stop: threading.Event):
    """`endpoint` due `rate` times a second, spread over `threads` clients, until `stop`."""
    samples: list[Sample] = []
    start = time.perf_counter() + 0.05

    def run(index: int) -> None:
        client = Client(port)
        n = index
        while not stop.is_set():
            due = start + n / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            samples.append(client.send(endpoint, due))
            n += threads
        client.close()

    return samples, start_threads(run, threads)


# Setup ---------------------------------------------------------------------------------------


@dataclass
class Shop:
    url: str
    add_on_id: str
    cookies: dict[str, str]  # user id → signed session cookie
    csrf: dict[str, str]  # user id → CSRF token


def prepare(url: str, users: list[str]) -> Shop:
    """Migrate, seed the guide's catalog, give each user one add-on in the cart; sign them in
    (a session cookie signed with the server's key, as the sign-in would set)."""
    ensure_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        upgrade()
        seed_catalog(db.session, datetime.now(UTC))
        add_on = db.session.scalars(
            select(AddOn).where(AddOn.is_active).order_by(AddOn.display_order).limit(1)
        ).one()
        db.session.add_all(
            CartItem(user_id=user, add_on_id=add_on.id, unit_price_seen=Decimal(add_on.base_price))
            for user in users
        )
        db.session.commit()
        add_on_id = str(add_on.id)
        db.engine.dispose()
    serializer = app.session_interface.get_signing_serializer(app)
    cookies, tokens = {}, {}
    for user in users:
        with app.test_request_context("/"):
            flask_session["user"] = {"id": user, "tier": None}
            tokens[user] = generate_csrf()
            cookies[user] = serializer.dumps(dict(flask_session))
    return Shop(url, add_on_id, cookies, tokens)


@contextmanager
def gunicorn(url: str, env: dict[str, str], log: Path) -> Iterator[int]:
    """Serve `app:app` with the production settings on a free loopback port; yield the port."""
    with serve(url, log, env={"SECRET_KEY": SECRET_KEY, **env}, log_mode="ab") as port:
        yield port


# Part 1: PostgreSQL restart ------------------------------------------------------------------


@dataclass
class RestartResult:
    samples: list[Sample]
    stop_began: float
    stopped: float
    ready: float

    @property
    def failed(self) -> list[Sample]:
        return [s for s in self.samples if s.status != 200]

    @property
    def ungraceful(self) -> list[Sample]:
        return [s for s in self.failed if not s.graceful_503]

    @property
    def recovery_s(self) -> float | None:
        """From the server accepting connections again until the shop answers normally: the
        first success of a request sent after that, and no failure ending later. None: never."""
        ok = [s.end for s in self.samples if s.status == 200 and s.due >= self.ready]
        if not ok:
            return None
        ends = [min(ok), *(s.end for s in self.failed)]
        return max(0.0, max(ends) - self.ready)


def failure_kind(sample: Sample) -> str:
    if sample.graceful_503:
        return "503, the shop's page or htmx message, Retry-After"
    if sample.status == 0:
        return f"no HTTP answer ({sample.body[:60]})"
    if sample.status == 500 and 'class="error-page"' in sample.body:
        return "500, the shop's error page"
    if sample.status >= 500:
        return f"{sample.status}, a bare error page (not the shop's)"
    return f"{sample.status}, {'no Retry-After' if not sample.retry_after else 'unexpected'}"


def restart_under_load(
    cluster: PrivateCluster, port: int, shop: Shop, user: str, args
) -> RestartResult:
    cookie = {"Cookie": f"session={shop.cookies[user]}"}
    endpoints = [
        Endpoint("catalog page  GET /", "/"),
        Endpoint("cart page  GET /cart", "/cart", headers=cookie),
        Endpoint(
            "cart partial  GET /cart (hx)",
            "/cart",
            headers={**cookie, "HX-Request": "true"},
            fragment=True,
        ),
    ]
    warm_up(port, endpoints, args.warmup)
    stop = threading.Event()
    samples, workers = closed_loop(port, endpoints, args.threads, stop)
    time.sleep(args.before)
    stop_began = time.perf_counter()
    cluster.stop("fast")
    stopped = time.perf_counter()
    cluster.start()
    ready = time.perf_counter()
    time.sleep(args.after)
    stop.set()
    for worker in workers:
        worker.join(timeout=35)
    return RestartResult(list(samples), stop_began, stopped, ready)


def report_restart(result: RestartResult, threads: int) -> list[str]:
    print("\nPart 1: PostgreSQL restart (fast mode) under load")
    print(
        f"  {threads} client threads, closed loop; restart at +{_since(result, result.stop_began)}"
        f": stopped in {result.stopped - result.stop_began:.2f} s, accepting connections again "
        f"{result.ready - result.stopped:.2f} s later"
    )
    names = list(dict.fromkeys(s.endpoint.name for s in result.samples))
    width = max(len(name) for name in names)
    header = f"  {'endpoint':<{width}} {'requests':>8} {'200':>6} {'503 shop':>8} {'other':>6}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for name in names:
        mine = [s for s in result.samples if s.endpoint.name == name]
        ok = sum(s.status == 200 for s in mine)
        graceful = sum(s.graceful_503 for s in mine)
        print(
            f"  {name:<{width}} {len(mine):>8} {ok:>6} {graceful:>8} {len(mine) - ok - graceful:>6}"
        )
    failed = result.failed
    problems = []
    if failed:
        first, last = min(s.due for s in failed), max(s.end for s in failed)
        print(
            f"  {len(failed)} of {len(result.samples)} requests failed, sent between "
            f"+{_since(result, first)} and +{_since(result, last)}:"
        )
        for kind, count in Counter(failure_kind(s) for s in failed).most_common():
            print(f"    {count:>4} x {kind}")
    else:
        print("  no request failed")
    ungraceful = result.ungraceful
    print(
        f"  failures other than the shop's 503: {len(ungraceful)} (target 0) "
        f"{'FAIL' if ungraceful else 'PASS'}"
    )
    if ungraceful:
        problems.append(f"{len(ungraceful)} failures other than the shop's 503 (target 0)")
    recovery = result.recovery_s
    if recovery is None:
        print("  time to recover: never, no request succeeded after the restart FAIL")
        problems.append("no successful request after the restart")
    else:
        verdict = "PASS" if recovery < RECOVERY_LIMIT_S else "FAIL"
        print(
            f"  time to recover: the shop answered normally {recovery * 1000:.0f} ms after "
            f"PostgreSQL accepted connections again, without restarting the app "
            f"(target < {RECOVERY_LIMIT_S:g} s) {verdict}"
        )
        if recovery >= RECOVERY_LIMIT_S:
            problems.append(f"recovered in {recovery:.2f} s (target < {RECOVERY_LIMIT_S:g} s)")
    return problems


def _since(result: RestartResult, moment: float) -> str:
    start = min(s.due for s in result.samples)
    return f"{moment - start:.2f} s"


# Part 2: Stripe never answers ----------------------------------------------------------------


def checkout_wave(port: int, shop: Shop, users: list[str]) -> list[Sample]:
    """Every user posts /checkout at the same moment; their answers."""
    barrier = threading.Barrier(len(users))
    results: dict[str, Sample] = {}

    def check_out(user: str) -> None:
        endpoint = Endpoint(
            "checkout  POST /checkout",
            "/checkout",
            method="POST",
            headers={
                "Cookie": f"session={shop.cookies[user]}",
                "X-CSRFToken": shop.csrf[user],
                "Content-Type": "application/x-www-form-urlencoded",
                "Content-Length": "0",
            },
        )
        barrier.wait()
        results[user] = Client(port).send(endpoint)

    threads = [threading.Thread(target=check_out, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return [results[user] for user in users if user in results]


def friendly_failure(port: int, sample: Sample) -> bool:
    """A 303 back to the cart, whose page then shows the friendly message (a flash)."""
    location = urllib.parse.urlsplit(sample.location or "")
    if sample.status != 303 or location.path != "/cart" or not sample.cookie:
        return False
    cart = Client(port).send(
        Endpoint("cart", "/cart", headers={"Cookie": f"session={sample.cookie}"})
    )
    return cart.status == 200 and FRIENDLY in cart.body


def stripe_hang_under_load(port: int, shop: Shop, stripe: FakeStripe, users: list[str], args):
    # Warm, with Stripe answering: the catalog, and checkouts by other shoppers (as many at
    # a time as there are slots), so the workers have run the checkout code before.
    warm_up(port, [Endpoint("catalog", "/"), Endpoint("health", "/healthz")], args.warmup)
    for start in range(2 * CHECKOUTS, len(users), STRIPE_SLOTS):
        warm = checkout_wave(port, shop, users[start : start + STRIPE_SLOTS])
        if any(s.status != 303 or "checkout.stripe.test" not in (s.location or "") for s in warm):
            raise SystemExit(f"warm-up checkouts failed: {[s.status for s in warm]}")
    stripe.delay = 3600  # from now on Stripe accepts every request and never answers
    stripe.requests.clear()
    stop = threading.Event()
    catalog, catalog_workers = open_loop(
        port, Endpoint("catalog page  GET /", "/"), args.rate, 16, stop
    )
    health, health_workers = open_loop(
        port, Endpoint("hello world  GET /healthz", "/healthz"), args.rate / 5, 4, stop
    )
    cookie = {"Cookie": f"session={shop.cookies[users[-1]]}"}  # a cart that reads the database
    cart, cart_workers = open_loop(
        port, Endpoint("cart page  GET /cart", "/cart", headers=cookie), args.rate / 10, 2, stop
    )
    time.sleep(args.before)
    fired = time.perf_counter()
    wave1 = checkout_wave(port, shop, users[:CHECKOUTS])
    answered = time.perf_counter()
    calls_in_wave1 = len(stripe.requests)
    wave2 = checkout_wave(port, shop, users[CHECKOUTS : 2 * CHECKOUTS])
    calls_in_wave2 = len(stripe.requests) - calls_in_wave1
    time.sleep(0.5)
    stop.set()
    for worker in catalog_workers + health_workers + cart_workers:
        worker.join(timeout=35)
    return {
        "catalog": list(catalog),
        "health": list(health),
        "cart": list(cart),
        "fired": fired,
        "answered": answered,
        "wave1": wave1,
        "wave2": wave2,
        "calls1": calls_in_wave1,
        "calls2": calls_in_wave2,
    }


def report_stripe(port: int, run: dict, args) -> list[str]:
    print("\nPart 2: Stripe never answers")
    budget = CONNECT_TIMEOUT_S + READ_TIMEOUT_S
    problems = []

    def window(samples: list[Sample], start: float, end: float) -> list[Sample]:
        return [s for s in samples if start <= s.due < end]

    before = window(run["catalog"], 0, run["fired"])
    during = window(run["catalog"], run["fired"], run["answered"])
    health = window(run["health"], run["fired"], run["answered"])
    cart = window(run["cart"], run["fired"], run["answered"])
    rows = [
        ("catalog page GET /, before", before, False),
        ("catalog page GET /, during the hang", during, True),
        ("cart page GET /cart, during the hang", cart, False),
        ("/healthz, during the hang", health, False),
    ]
    width = max(len(name) for name, _, _ in rows)
    header = (
        f"  {'requests (open loop)':<{width}} {'n':>5} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7} {'errors':>6}  {'target':<14} result"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for name, samples, targeted in rows:
        if not samples:
            print(f"  {name:<{width}} {0:>5}  (no samples)")
            problems.append(f"no samples for {name}")
            continue
        ms = [s.ms for s in samples]
        errors = sum(s.status != 200 for s in samples)
        p99 = percentile(ms, 0.99)
        target = f"p99<{P99_LIMIT_MS:g}ms" if targeted else ""
        result = ""
        if targeted:
            result = "PASS" if p99 < P99_LIMIT_MS and not errors else "FAIL"
            if p99 >= P99_LIMIT_MS:
                problems.append(f"catalog p99 {p99:.1f} ms during the hang >= {P99_LIMIT_MS:g} ms")
        if errors:
            problems.append(f"{errors} non-200 answers for {name}")
        print(
            f"  {name:<{width}} {len(samples):>5} {percentile(ms, 0.5):>7.1f} {p99:>7.1f} "
            f"{max(ms):>7.1f} {errors:>6}  {target:<14} {result}"
        )
    for label, wave, calls, limit in (
        (f"{CHECKOUTS} checkouts at once", run["wave1"], run["calls1"], STRIPE_SLOTS),
        (f"{CHECKOUTS} more, breaker open", run["wave2"], run["calls2"], 0),
    ):
        seconds = sorted(s.ms / 1000 for s in wave)
        friendly = sum(friendly_failure(port, s) for s in wave)
        slow = sum(t > 1 for t in seconds)
        verdict = (
            len(wave) == CHECKOUTS
            and friendly == len(wave)
            and calls <= limit
            and max(seconds) < budget + 1
        )
        print(
            f"  {label}: {friendly}/{len(wave)} answered with the friendly failure; "
            f"{calls} reached Stripe (at most {limit}); answered in "
            f"{', '.join(f'{t:.2f}' for t in seconds)} s ({slow} waited > 1 s; budget "
            f"{budget:g} s) {'PASS' if verdict else 'FAIL'}"
        )
        if not verdict:
            problems.append(f"{label}: {friendly}/{len(wave)} friendly, {calls} Stripe calls")
    hang = run["answered"] - run["fired"]
    print(f"  the hang lasted {hang:.1f} s (the first {CHECKOUTS} checkouts fired to answered)")
    return problems


# Main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=8, help="part 1 client threads")
    parser.add_argument("--warmup", type=float, default=2.0, help="untimed seconds of load")
    parser.add_argument("--before", type=float, default=2.0, help="seconds of load first")
    parser.add_argument("--after", type=float, default=3.0, help="part 1: seconds after restart")
    parser.add_argument("--rate", type=float, default=100.0, help="part 2: catalog requests/s")
    args = parser.parse_args(argv)

    # Two waves of checkouts, then shoppers whose checkouts only warm the workers up.
    users = [f"bench-faults-{n}" for n in range(3 * CHECKOUTS)]
    problems: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp, PrivateCluster() as cluster:
        work = Path(tmp)
        url = cluster.url("marketplace_faults")
        print(f"private PostgreSQL {cluster.bin.parent.name} on 127.0.0.1:{cluster.port}")
        report_machine_load()
        shop = prepare(url, users)
        workers = gunicorn_conf.workers
        print(f"gunicorn app:app --config {GUNICORN_CONFIG}: {workers} sync workers")

        with gunicorn(url, {"CATALOG_CACHE_SECONDS": "0"}, work / "gunicorn.log") as port:
            result = restart_under_load(cluster, port, shop, users[0], args)
        problems += report_restart(result, args.threads)

        stripe = FakeStripe()
        stripe.httpd.block_on_close = False  # its handlers sleep for an hour: never wait
        stripe.start()
        stripe_env = {
            "STRIPE_SECRET_KEY": "sk_test_bench_faults",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": stripe.url,
            "STRIPE_CONNECT_TIMEOUT_SECONDS": str(CONNECT_TIMEOUT_S),
            "STRIPE_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT_S),
            "STRIPE_MAX_CONCURRENT_CALLS": str(STRIPE_SLOTS),
            "STRIPE_GUARD_DIR": str(work / "stripe-guard"),
        }
        try:
            with gunicorn(url, stripe_env, work / "gunicorn.log") as port:
                run = stripe_hang_under_load(port, shop, stripe, users, args)
                problems += report_stripe(port, run, args)
        finally:
            stripe.stop()
        log = (work / "gunicorn.log").read_text()

    print(
        f"\nRun in {time.perf_counter() - started:.0f} s on {os.cpu_count()} cores, 127.0.0.1. "
        "Part 1 with the catalog cache off (every request reads the database); part 2 with the "
        "default settings (catalog cache on). Latencies: open loop, from when each request was "
        "due. PASS/FAIL against the targets; exit 1 on any FAIL."
    )
    errors = Counter(EXCEPTION_LINE.findall(log))
    if errors:
        print(f"gunicorn's log: {sum(errors.values())} exception lines, most common:")
        for line, count in errors.most_common(5):
            print(f"  {count:>4} x {line[:150]}")
    for problem in problems:
        print(f"FAIL: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
