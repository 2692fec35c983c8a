"""The ETag of each user's entitlements, kept in this process's memory and dropped the moment
PostgreSQL says they changed: a service revalidating with `If-None-Match` gets its 304 without
a query.

Services poll entitlements, and nearly every poll finds them unchanged. Each process LISTENs on
`entitlements_changed`, which triggers on `user_add_ons` (the user's id) and `add_on_features`
(`*`: everyone) NOTIFY when their transaction commits (migration 021_entitlement_notify). A tag
also ends by itself when the first subscription behind it lapses, which no write announces.

A read that raced a change never keeps a stale tag: the tag is kept only if no notification
arrived between just before the read's query and the keeping (`generation`); one arriving after
it drops it. While the listener is not connected — before its first LISTEN, after a dropped
connection until it is back — nothing is answered from memory, and what was kept is forgotten.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime

import psycopg

log = logging.getLogger(__name__)

CHANNEL = "entitlements_changed"
EVERYONE = "*"
MAX_USERS = 100_000  # about 10 MB; past it the oldest tags go first
RECONNECT_SECONDS = 1.0
WAKE_SECONDS = 1.0  # how often a listener waiting for notifications checks it was stopped


class EntitlementTags:
    """Users' entitlement ETags in memory, each valid until a notification or its lapse."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._tags: dict[str, tuple[str, datetime | None]] = {}
        self._generation = 0
        self._listening = False
        self._listener_pid: int | None = None

    def tag(self, user_id: str, now: datetime) -> str | None:
        """The user's current ETag if known, else None (ask the database)."""
        self._ensure_listener()
        with self._lock:
            entry = self._tags.get(user_id) if self._listening else None
        if entry is None:
            return None
        tag, until = entry
        return tag if until is None or now < until else None

    def generation(self) -> int:
        """Take this before reading the entitlements; hand it back to `keep`."""
        with self._lock:
            return self._generation

    def keep(self, user_id: str, tag: str, until: datetime | None, generation: int) -> None:
        """Remember `tag` until `until`, unless a notification came since `generation`."""
        with self._lock:
            if not self._listening or generation != self._generation:
                return
            self._tags.pop(user_id, None)
            if len(self._tags) >= MAX_USERS:
                del self._tags[next(iter(self._tags))]  # the oldest kept
            self._tags[user_id] = (tag, until)

    @property
    def listening(self) -> bool:
        with self._lock:
            return self._listening

    def _ensure_listener(self) -> None:
        # Started on first use, in the process that uses it: a thread started before gunicorn
        # forks its workers would not run in them.
        if self._listener_pid == os.getpid():
            return
        with self._lock:
            if self._listener_pid == os.getpid():
                return
            self._listener_pid = os.getpid()
            self._tags.clear()
            self._listening = False
        threading.Thread(target=self._listen, name="entitlement-tags", daemon=True).start()

    def stop(self) -> None:
        """Stop listening (within `WAKE_SECONDS`) and answer nothing from memory any more."""
        self._stopped.set()
        self._forget(listening=False)

    def _listen(self) -> None:
        warned = False  # one warning an outage, not one a retry
        while not self._stopped.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._forget(listening=True)
                    if warned:
                        log.warning("entitlement tags: listening again")
                    warned = False
                    while not self._stopped.is_set():
                        for notice in conn.notifies(timeout=WAKE_SECONDS):
                            self._changed(notice.payload)
            except psycopg.Error as error:
                if not warned:
                    log.warning("entitlement tags: not listening (%s); retrying", error)
                warned = True
            self._forget(listening=False)
            self._stopped.wait(RECONNECT_SECONDS)

    def _changed(self, user_id: str) -> None:
        with self._lock:
            self._generation += 1
            if user_id == EVERYONE:
                self._tags.clear()
            else:
                self._tags.pop(user_id, None)

    def _forget(self, *, listening: bool) -> None:
        with self._lock:
            self._generation += 1
            self._tags.clear()
            self._listening = listening
