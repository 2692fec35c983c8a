"""One storefront process for the rate-limit tests: a stand-in for one gunicorn worker.

`python -m tests.integration.security.worker DATABASE_URL KEY_PREFIX` serves the app on a
free port of 127.0.0.1, prints the port on one line, and serves until it is terminated. The
rate-limit settings (`REDIS_URL`, `PROMO_RATE_LIMIT`, …) come from the environment, as in
production. Each process has its own flask-limiter, as each worker has.
"""

from __future__ import annotations

import sys

from werkzeug.serving import make_server

from marketplace import create_app


def main(database_url: str, key_prefix: str) -> None:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key",
            "WTF_CSRF_ENABLED": False,
            "CATALOG_CACHE_SECONDS": 0,
            # One test's counters, apart from any other run's on the same Redis.
            "RATELIMIT_KEY_PREFIX": key_prefix,
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    sys.stdout.write(f"{server.server_port}\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:3])
