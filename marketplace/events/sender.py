"""Send events to webhook endpoints over HTTP: the `webhook.deliver` kind of the outbox.

Each endpoint is a lane: a thread sends its batch while other lanes send theirs, so a receiver
that is slow or gone holds only its own lane. Within a lane, one user's events go one after
another, and different users' events go side by side on a few streams (one connection each).
The database is touched by the calling thread alone (marketplace.events.delivery claims and
records), as each lane finishes, while the others keep sending.
"""

from __future__ import annotations

import time
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any

import requests
from sqlalchemy.orm import Session

from marketplace.billing import outbox
from marketplace.events import signing
from marketplace.events.delivery import Attempt, Delivery, claim, record
from marketplace.models.base import utcnow

USER_AGENT = "Extensions-Marketplace-Webhooks/1"
STREAMS = 8  # users' events sent side by side within one lane
# An answer's body up to this size is read, so its connection serves the next delivery.
READ_ANSWER_BYTES = 64 * 1024


class WebhookSender:
    """Sends lanes of deliveries over HTTP (`timeout` seconds an answer), `lanes` at once."""

    def __init__(self, timeout: float, lanes: int) -> None:
        self.timeout = timeout
        self.lanes = max(lanes, 1)
        # One HTTP session (its kept-alive connection) per endpoint and stream; a lane's
        # streams are the only users of theirs.
        self.sessions: dict[tuple[uuid.UUID, int], requests.Session] = {}

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
        for http in self.sessions.values():
            http.close()
        self.sessions.clear()

    def lane(self, batch: Sequence[Delivery]) -> list[Attempt]:
        """Send one endpoint's batch: each user's events in order, on STREAMS streams."""
        streams: dict[int, list[Delivery]] = {}
        for delivery in batch:
            streams.setdefault(zlib.crc32(delivery.key.encode()) % STREAMS, []).append(delivery)
        if len(streams) == 1:
            [(number, only)] = streams.items()
            return self.stream(number, only)
        with ThreadPoolExecutor(len(streams), thread_name_prefix="webhook-stream") as pool:
            sent = pool.map(self.stream, streams.keys(), streams.values())
            return [attempt for attempts in sent for attempt in attempts]

    def stream(self, number: int, deliveries: Sequence[Delivery]) -> list[Attempt]:
        """Send in order; skip a user's events after one of theirs failed; stop when the
        receiver does not answer."""
        http = self.sessions.get((deliveries[0].endpoint_id, number)) or self._session(
            deliveries[0].endpoint_id, number
        )
        attempts: list[Attempt] = []
        failed_keys: set[str] = set()
        for delivery in deliveries:
            if delivery.key in failed_keys:
                continue
            attempt = self.post(http, delivery)
            attempts.append(attempt)
            if attempt.error is not None:
                failed_keys.add(delivery.key)
                if attempt.response_code is None:
                    break
        return attempts

    def _session(self, endpoint_id: uuid.UUID, number: int) -> requests.Session:
        http = self.sessions[(endpoint_id, number)] = requests.Session()
        # No proxy or .netrc lookups per request: receivers are reached directly, and the
        # signature, not credentials, proves the sender.
        http.trust_env = False
        return http

    def post(self, http: requests.Session, delivery: Delivery) -> Attempt:
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
        try:
            # stream: a long answer is not read (a receiver cannot hold us with it).
            with http.post(
                delivery.url,
                data=delivery.body,
                headers=headers,
                timeout=(min(self.timeout, 3.0), self.timeout),
                allow_redirects=False,
                stream=True,
            ) as response:
                code = response.status_code
                error = None if 200 <= code < 300 else f"answered {code} {response.reason}"
                if _small(response.headers.get("Content-Length", "")):
                    response.content  # noqa: B018 (read: the connection serves the next one)
        except requests.Timeout:
            error = f"no answer within {self.timeout:g} s"
        except requests.RequestException as failure:
            error = f"could not connect: {type(failure).__name__}: {failure}"[:1000]
        duration = round((time.perf_counter() - started) * 1000)
        return Attempt(delivery, attempted_at, code, error, duration)


def _small(content_length: str) -> bool:
    return content_length.isdigit() and int(content_length) <= READ_ANSWER_BYTES


def sender_for(config: Mapping[str, Any]) -> WebhookSender:
    """The sender with the configured timeout and lanes."""
    return WebhookSender(
        float(config.get("WEBHOOK_TIMEOUT_SECONDS", 5.0)), int(config.get("WEBHOOK_LANES", 8))
    )
