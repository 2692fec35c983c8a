"""gunicorn settings for the storefront: `gunicorn -c python:marketplace.gunicorn_conf app:app`.

Sync workers, one request at a time each, and more processes than cores. The app is CPU-bound
Python (templates, sessions, the ORM): threads inside one worker queue for the GIL, and on the
2-core benchmark machine 2 threads per worker cut the catalog page from ~1,650 to ~625 req/s
while sync workers kept its p99 under 15 ms (`make bench-http`). Sync workers must sit behind a
buffering reverse proxy (nginx, a load balancer) so slow clients never hold a worker.

gunicorn's own environment variables still apply: `WEB_CONCURRENCY` sets the number of workers,
`PORT` the port, `GUNICORN_CMD_ARGS` any other option.
"""

import gc
import multiprocessing
import os

worker_class = "sync"
# gunicorn's rule of thumb: two per core plus one, so a worker waiting on PostgreSQL never
# leaves a core idle.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
# Room for bursts while every worker is busy; the kernel caps it at net.core.somaxconn.
backlog = 2048
# A request stuck longer than this (a hung upstream) is killed and its worker replaced.
timeout = 30
# SIGTERM lets in-flight requests finish for this long.
graceful_timeout = 20


def post_worker_init(worker):
    """Move what loading the app allocated (~200k objects) out of the collector's reach: a full
    collection then scans only what requests keep, about 3 ms instead of about 100 ms, which
    otherwise lands on a request now and then (the analytics page's p99, `bench_analytics`)."""
    gc.freeze()
