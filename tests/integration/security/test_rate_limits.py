"""Rate limits hold across workers (one counter in Redis), answer 429 with `Retry-After` on a
styled page, and cover the development sign-in and the OIDC callback too."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
import requests

from marketplace.config import PROJECT_ROOT, Settings
from tests.fixtures.database import PRODUCTION_CONFIG, make_app, rolled_back
from tests.fixtures.shoppers import HX

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {TEST_REDIS_URL} ({error}); set TEST_REDIS_URL to run this")
    return client


def read_port(process: subprocess.Popen, log, timeout: float = 60) -> int:
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    if not line.strip().isdigit():
        process.kill()
        process.wait(timeout=10)
        log.seek(0)
        raise AssertionError(f"the worker did not start: {line!r}\n{log.read()}")
    return int(line)


@contextmanager
def workers(database_url: str, count: int, **settings: str) -> Iterator[list[str]]:
    """`count` storefront processes (stand-ins for gunicorn workers) configured by `settings`
    as environment variables; yields their base URLs."""
    prefix = f"test-{uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "MARKETPLACE_ENV")}
    env.update(settings)
    # Request logs go to a file: a pipe nobody reads could fill up and stall a worker.
    logs = [tempfile.TemporaryFile("w+") for _ in range(count)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.integration.security.worker", database_url, prefix],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        for log in logs
    ]
    try:
        yield [
            f"http://127.0.0.1:{read_port(process, log)}"
            for process, log in zip(processes, logs, strict=True)
        ]
    finally:
        for process in processes:
            process.terminate()
        for process, log in zip(processes, logs, strict=True):
            process.wait(timeout=10)
            process.stdout.close()
            log.close()
        if settings.get("REDIS_URL") == TEST_REDIS_URL:
            store = redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=1)
            for key in store.scan_iter(f"*{prefix}*"):
                store.delete(key)
            store.close()


def alternate(urls: list[str], path: str, times: int, **data) -> list[tuple[int, int]]:
    """POST `path` `times` times, to each worker in turn; (worker, status) of each answer."""
    answers = []
    for attempt in range(times):
        worker = attempt % len(urls)
        response = requests.post(urls[worker] + path, data=data, timeout=10)
        answers.append((worker, response.status_code))
    return answers


def test_two_workers_share_one_counter_in_redis(database_url):
    redis_or_skip()
    with workers(
        database_url,
        2,
        REDIS_URL=TEST_REDIS_URL,
        PROMO_RATE_LIMIT="4/minute",
        SIGN_IN_RATE_LIMIT="3/minute",
    ) as urls:
        promo = alternate(urls, "/cart/promo", 8, code="GUESS")
        sign_in = alternate(urls, "/login", 6)

    # Each worker saw half the attempts, yet the fifth attempt overall is refused by both.
    assert [status for _, status in promo[:4]] == [422] * 4
    assert promo[4:] == [(0, 429), (1, 429), (0, 429), (1, 429)]
    assert [status for _, status in sign_in[:3]] == [422] * 3
    assert sign_in[3:] == [(1, 429), (0, 429), (1, 429)]


def test_without_redis_each_worker_counts_alone(database_url):
    """Why production requires REDIS_URL: in-memory counters multiply a limit by the workers."""
    with workers(database_url, 2, PROMO_RATE_LIMIT="4/minute") as urls:
        promo = alternate(urls, "/cart/promo", 8, code="GUESS")

    assert [status for _, status in promo] == [422] * 8


def test_an_unreachable_redis_falls_back_to_counting_in_memory(database_url):
    with workers(
        database_url, 1, REDIS_URL="redis://127.0.0.1:1/0", PROMO_RATE_LIMIT="3/minute"
    ) as urls:
        promo = alternate(urls, "/cart/promo", 4, code="GUESS")

    assert [status for _, status in promo] == [422, 422, 422, 429]


def test_settings_name_the_redis_storage_and_the_limits(monkeypatch):
    monkeypatch.setenv("REDIS_URL", TEST_REDIS_URL)
    monkeypatch.setenv("SIGN_IN_RATE_LIMIT", "5/minute")
    monkeypatch.setenv("PROMO_RATE_LIMIT", "7/minute")
    monkeypatch.setenv("PROMO_IP_RATE_LIMIT", "20/minute")

    config = Settings.from_environ().as_flask_config()

    assert config["RATELIMIT_STORAGE_URI"] == TEST_REDIS_URL
    assert (
        config["SIGN_IN_RATE_LIMIT"],
        config["PROMO_RATE_LIMIT"],
        config["PROMO_IP_RATE_LIMIT"],
    ) == ("5/minute", "7/minute", "20/minute")

    for name in ("REDIS_URL", "SIGN_IN_RATE_LIMIT", "PROMO_RATE_LIMIT", "PROMO_IP_RATE_LIMIT"):
        monkeypatch.delenv(name)
    defaults = Settings.from_environ().as_flask_config()
    assert defaults["RATELIMIT_STORAGE_URI"] == "memory://"
    assert defaults["SIGN_IN_RATE_LIMIT"] == "10/minute"


def test_production_refuses_to_start_without_redis(database_url):
    with pytest.raises(SystemExit) as refused:
        make_app(database_url, **{**PRODUCTION_CONFIG, "REDIS_URL": None})

    assert str(refused.value) == (
        "Error: MARKETPLACE_ENV=production refuses to start without REDIS_URL."
    )


# 429 answers -------------------------------------------------------------------------------------


def assert_retry_after(response) -> None:
    assert response.status_code == 429
    # The seconds left in the one-minute window, rounded up.
    assert 1 <= int(response.headers["Retry-After"]) <= 61


def test_a_refused_promo_attempt_says_when_to_retry(app, client, catalog):
    app.config["PROMO_RATE_LIMIT"] = "2/minute"
    for _ in range(2):
        assert client.post("/cart/promo", data={"code": "GUESS"}).status_code == 422

    page = client.post("/cart/promo", data={"code": "GUESS"})
    partial = client.post("/cart/promo", data={"code": "GUESS"}, headers=HX)

    assert_retry_after(page)
    assert_retry_after(partial)
    assert "Too many promo code attempts" in partial.text


def test_development_sign_in_is_limited_with_a_styled_page(app, client):
    app.config["SIGN_IN_RATE_LIMIT"] = "3/minute"
    statuses = [client.post("/login", data={"user_id": f"guess-{n}"}).status_code for n in range(3)]

    page = client.post("/login", data={"user_id": "dev-7"})

    assert statuses == [303, 303, 303]
    assert_retry_after(page)
    assert "<!doctype html>" in page.text and 'class="site-header' in page.text
    assert "Too many sign-in attempts from your address." in page.text
    assert page.headers["Content-Security-Policy"]  # the 429 page is secured like any other


def test_htmx_gets_the_message_alone(app, client):
    app.config["SIGN_IN_RATE_LIMIT"] = "1/minute"
    client.post("/login", data={"user_id": "dev-7"})

    response = client.post("/login", data={"user_id": "dev-7"}, headers=HX)

    assert_retry_after(response)
    assert "<html" not in response.text
    assert 'class="alert alert--error"' in response.text
    assert "Too many sign-in attempts" in response.text


def test_the_oidc_callback_is_limited(app, oidc_client, keycloak):
    app.config["SIGN_IN_RATE_LIMIT"] = "2/minute"
    statuses = [oidc_client.get("/auth/callback?code=x&state=y").status_code for _ in range(2)]

    blocked = oidc_client.get("/auth/callback?code=x&state=y")

    assert statuses == [400, 400]
    assert_retry_after(blocked)
    assert "Too many sign-in attempts" in blocked.text


def test_other_pages_are_not_limited(app, client, catalog):
    app.config["SIGN_IN_RATE_LIMIT"] = "1/minute"
    client.post("/login", data={"user_id": "dev-7"})

    assert client.post("/login", data={"user_id": "dev-7"}).status_code == 429
    assert all(client.get("/").status_code == 200 for _ in range(3))
    assert client.get("/login").status_code == 302  # still signed in: the form is not limited


# Behind a proxy --------------------------------------------------------------------------------


def sign_in_from(client, address: str) -> int:
    return client.post(
        "/login", data={"user_id": "dev-7"}, headers={"X-Forwarded-For": address}
    ).status_code


def test_behind_a_trusted_proxy_each_client_address_counts_alone(database_url):
    with rolled_back(make_app(database_url, TRUSTED_PROXIES=1)) as app:
        app.config["SIGN_IN_RATE_LIMIT"] = "1/minute"
        client = app.test_client()

        assert sign_in_from(client, "203.0.113.7") == 303
        assert sign_in_from(client, "203.0.113.7") == 429
        assert sign_in_from(client, "198.51.100.9") == 303


def test_without_trusted_proxies_a_forged_address_does_not_reset_the_limit(app, client):
    app.config["SIGN_IN_RATE_LIMIT"] = "1/minute"

    assert sign_in_from(client, "203.0.113.7") == 303
    assert sign_in_from(client, "198.51.100.9") == 429
