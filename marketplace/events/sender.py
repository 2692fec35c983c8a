"""Send events to webhook endpoints over HTTP: the `webhook.deliver` kind of the outbox.

Each endpoint is a lane: a thread sends its batch while other lanes send theirs, so a receiver
that is slow or gone holds only its own lane. Within a lane, one user's events go one after
another, and different users' events go side by side on a few streams (one connection each).
The database is touched by the calling thread alone (marketplace.events.delivery claims and
records), as each lane finishes, while the others keep sending.

Where private addresses are refused (production), each connection resolves the receiver's host,
checks every address (marketplace/events/addresses.py) and connects to the address it checked:
a host that resolves to a private address by now (DNS rebinding) gets no request, and the
delivery is logged as refused and given up at once — a retry would be refused alike; an admin
resends it from the delivery log once the receiver's address is fixed.
"""

from __future__ import annotations

import socket
import time
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any

import urllib3
from sqlalchemy.orm import Session
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from marketplace.billing import outbox
from marketplace.events import signing
from marketplace.events.addresses import PrivateAddress, private_allowed, public_address
from marketplace.events.delivery import Attempt, Delivery, claim, record
from marketplace.models.base import utcnow

USER_AGENT = "Extensions-Marketplace-Webhooks/1"
STREAMS = 8  # users' events sent side by side within one lane
# An answer's body up to this size is read, so its connection serves the next delivery.
READ_ANSWER_BYTES = 64 * 1024


class _PublicHTTPConnection(HTTPConnection):
    """A connection to a public address of its host only (see the module's doc)."""

    def _new_conn(self) -> socket.socket:
        host = self._dns_host
        try:
            address = public_address(host)
        except (OSError, UnicodeError) as failure:
            raise urllib3.exceptions.NewConnectionError(
                self, f"could not resolve {host}: {failure}"
            ) from failure
        # urllib3 connects to `_dns_host`; `host` (TLS server name, Host header) is read from it
        # too, so it is the checked address during the connect only.
        self._dns_host = address
        try:
            return super()._new_conn()
        finally:
            self._dns_host = host


class _PublicHTTPSConnection(_PublicHTTPConnection, HTTPSConnection):
    """The same, TLS verified against the host's name (the address is swapped in only to
    connect)."""


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class WebhookSender:
    """Sends lanes of deliveries over HTTP (`timeout` seconds an answer), `lanes` at once; to
    public addresses only unless `allow_private`."""

    def __init__(self, timeout: float, lanes: int, *, allow_private: bool = False) -> None:
        self.timeout = timeout
        self.lanes = max(lanes, 1)
        # Kept-alive connections, up to STREAMS per receiver; no retries or redirects here
        # (the outbox retries), and no proxy settings read from the environment.
        self.http = urllib3.PoolManager(
            maxsize=STREAMS,
            retries=False,
            timeout=urllib3.Timeout(connect=min(timeout, 3.0), read=timeout),
        )
        if not allow_private:
            self.http.pool_classes_by_scheme = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}

    def deliver(
        self,
        session: Session,
        report: outbox.DeliveryReport,
        *,
        ids: Sequence[uuid.UUID] | None = None,
        now: datetime | None = None,
        limit: int = 500,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Deliver due entries (or `ids`), at most `limit`, adding the results to `report`."""
        budget = limit
        running: dict[Future[list[Attempt]], list[Delivery]] = {}
        # Endpoints that did not answer: not tried again in this run (their lane stopped).
        stalled: set[uuid.UUID] = set()
        tried: set[uuid.UUID] = set()  # each entry is attempted at most once a run
        with ThreadPoolExecutor(self.lanes, thread_name_prefix="webhook-lane") as pool, self:
            while True:
                skip = stalled | {batch[0].endpoint_id for batch in running.values()}
                room = self.lanes - len(running)
                for batch in claim(session, ids, now or utcnow(), skip, room, budget, tried):
                    budget -= len(batch)
                    running[pool.submit(self.lane, batch)] = batch
                if not running:
                    return
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    batch, attempts = running.pop(future), future.result()
                    tried.update(attempt.delivery.entry_id for attempt in attempts)
                    if attempts[-1].response_code is None and attempts[-1].error:
                        stalled.add(batch[0].endpoint_id)
                    settled = record(session, batch, attempts, report)
                    if progress is not None:
                        progress(settled)

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.clear()

    def lane(self, batch: Sequence[Delivery]) -> list[Attempt]:
        """Send one endpoint's batch: each user's events in order, on STREAMS streams."""
        streams: dict[int, list[Delivery]] = {}
        for delivery in batch:
            streams.setdefault(zlib.crc32(delivery.key.encode()) % STREAMS, []).append(delivery)
        if len(streams) == 1:
            [only] = streams.values()
            return self.stream(only)
        with ThreadPoolExecutor(len(streams), thread_name_prefix="webhook-stream") as pool:
            sent = pool.map(self.stream, streams.values())
            return [attempt for attempts in sent for attempt in attempts]

    def stream(self, deliveries: Sequence[Delivery]) -> list[Attempt]:
        """Send in order; skip a user's events after one of theirs failed; stop when the
        receiver does not answer. (A refused address is given up, so waits for nothing.)"""
        attempts: list[Attempt] = []
        failed_keys: set[str] = set()
        for delivery in deliveries:
            if delivery.key in failed_keys:
                continue
            attempt = self.post(delivery)
            attempts.append(attempt)
            if attempt.error is not None and not attempt.refused:
                failed_keys.add(delivery.key)
                if attempt.response_code is None:
                    break
        return attempts

    def post(self, delivery: Delivery) -> Attempt:
        """POST the signed body; a 2xx answer delivers it."""
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            signing.HEADER: signing.header(delivery.secret, timestamp, delivery.body),
            signing.EVENT_ID_HEADER: delivery.event_id,
        }
        attempted_at, started = utcnow(), time.perf_counter()
        code: int | None = None
        error: str | None
        refused = False
        try:
            response = self.http.request(
                "POST",
                delivery.url,
                body=delivery.body,
                headers=headers,
                redirect=False,
                preload_content=False,  # a long answer is not read: it cannot hold us
            )
        except PrivateAddress as private:
            error, refused = f"not sent: {private}", True
        except urllib3.exceptions.TimeoutError:
            error = f"no answer within {self.timeout:g} s"
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as failure:
            error = f"could not connect: {type(failure).__name__}: {failure}"[:1000]
        else:
            code = response.status
            error = None if 200 <= code < 300 else f"answered {code} {response.reason}"
            _finish(response)
        duration = round((time.perf_counter() - started) * 1000)
        return Attempt(delivery, attempted_at, code, error, duration, refused)


def _finish(response: urllib3.BaseHTTPResponse) -> None:
    """Read a short answer, so its connection serves the next delivery; drop a long one."""
    length = response.headers.get("Content-Length", "")
    try:
        if length.isdigit() and int(length) <= READ_ANSWER_BYTES:
            response.read()
            response.release_conn()
            return
    except urllib3.exceptions.HTTPError:
        pass
    response.close()


def sender_for(config: Mapping[str, Any]) -> WebhookSender:
    """The sender with the configured timeout, lanes and private-address rule."""
    return WebhookSender(
        float(config.get("WEBHOOK_TIMEOUT_SECONDS", 5.0)),
        int(config.get("WEBHOOK_LANES", 8)),
        allow_private=private_allowed(config),
    )
