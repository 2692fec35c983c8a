"""A circuit breaker and a cap on concurrent calls to a payment provider, shared by every worker
process of one server.

With sync workers each request waiting on the provider holds a whole worker: five checkouts
hanging on Stripe used to take all five, and the shop stopped answering. Two limits keep a slow
provider to a corner of the server:

- **Slots** cap how many calls are in flight at once across the server's processes (default 2
  of `make serve`'s 5 workers on 2 cores). A call that finds every slot taken is refused, at
  once by default: with sync workers a caller waiting for a slot holds a worker just as a
  hanging call does (`wait` allows a short wait where workers are plentiful). A slot is an exclusive
  `flock` on a small file, so it is freed by the kernel when its holder ends, even killed.
  Work that must precede its call (a checkout writes its pending purchases first) reserves its
  slot up front (`reserve`), so that in a burst the refused ones are turned away before they
  do any of it.
- **The breaker** counts consecutive failed calls (timeouts, refused connections). At
  `threshold` it opens: every call is refused without touching the network for `cooldown`
  seconds. Then one call is let through as a probe (the others are still refused): its success
  closes the breaker, its failure opens it again. The state is a small JSON file, so one
  worker's timeouts open it for all.

Both live in one folder per server (`STRIPE_GUARD_DIR`): a file per slot, the breaker's state
and a lock for changing it. Each server protects its own workers, so the folder is local (a
shared one would make the cap global). The transitions are pure functions of the state and the
clock; `Guard` applies them to the files.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


# How often a call waiting for a slot looks again.
SLOT_POLL_SECONDS = 0.02

_local = threading.local()


def _reserved() -> dict[tuple[str, str], int | None]:
    """The slots this thread has reserved, by guard (folder, name)."""
    if not hasattr(_local, "slots"):
        _local.slots = {}
    return _local.slots


class Refused(Exception):
    """The call was not made: the breaker is open or every slot is taken."""


@dataclass(frozen=True)
class Limits:
    slots: int = 2  # calls in flight at once, across the server's processes
    wait: float = 0.0  # seconds a call waits for a slot before it is refused
    threshold: int = 2  # consecutive failures that open the breaker
    cooldown: float = 30.0  # seconds the open breaker refuses every call


@dataclass(frozen=True)
class State:
    failures: int = 0  # consecutive failed calls
    open_until: float = 0.0  # wall-clock time (time.time()) before which calls are refused

    def is_open(self, now: float, limits: Limits) -> bool:
        """Open: enough failures and the cooldown still running. A deadline further away than
        one cooldown (the clock stepped back, a stale file) has expired."""
        return self.failures >= limits.threshold and now < self.open_until <= now + limits.cooldown


CLOSED = State()


def admit(state: State, now: float, limits: Limits) -> tuple[bool, State]:
    """Whether a call may go ahead now, and the state once it has.

    Closed: yes, state unchanged. Open: no. Past the cooldown: yes for this one call, the
    probe, and the cooldown is re-armed so that the others wait for its outcome.
    """
    if state.failures < limits.threshold:
        return True, state
    if state.is_open(now, limits):
        return False, state
    return True, replace(state, open_until=now + limits.cooldown)


def failed(state: State, now: float, limits: Limits) -> State:
    """After a failed call: one more failure; at the threshold the breaker (re)opens."""
    failures = state.failures + 1
    if failures >= limits.threshold:
        return State(failures, now + limits.cooldown)
    return State(failures, state.open_until)


def succeeded(_state: State) -> State:
    """After a successful call: closed, no failures counted."""
    return CLOSED


class Guard:
    """Run calls to one provider through the slots and the breaker kept in `directory`."""

    def __init__(
        self,
        directory: Path,
        name: str,
        limits: Limits,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = Path(directory)
        self.name = name
        self.limits = limits
        self.clock = clock
        self._state_path = self.directory / f"{name}.state"

    @contextmanager
    def reserve(self) -> Iterator[None]:
        """Hold a slot for the whole block, or raise `Refused` at once; calls made in the block
        (by this thread) use it.

        For work that would be wasted if its call were refused: a checkout writes its pending
        purchases before calling Stripe, so it takes its slot first, and while Stripe hangs the
        others are turned away before they touch the database. Refused too while the breaker
        is open; once it may probe, the call inside is the probe.
        """
        if self._key in _reserved():
            yield
            return
        if self.state().is_open(self.clock(), self.limits):
            raise Refused(f"{self.name} circuit is open after repeated failures")
        with self._slot() as slot:
            _reserved()[self._key] = slot
            try:
                yield
            finally:
                del _reserved()[self._key]

    @contextmanager
    def call(self) -> Iterator[None]:
        """Run one call to the provider: with a slot (this thread's reserved one, or one taken
        now) and through the breaker, or raise `Refused`. An exception from the block counts as
        a failure of the provider, a normal exit as a success."""
        if self._key in _reserved():
            with self._through_breaker():
                yield
            return
        with self._slot(), self._through_breaker():
            yield

    @contextmanager
    def _slot(self) -> Iterator[int | None]:
        """Hold one slot's lock for the block (None: the folder is unusable), or raise."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            slot = self._take_slot()
            deadline = time.monotonic() + self.limits.wait
            while slot is None and time.monotonic() < deadline:
                time.sleep(SLOT_POLL_SECONDS)
                slot = self._take_slot()
        except OSError as error:
            # The guard protects the site; it must not take checkout down with it.
            log.warning("%s guard unusable (%s): calling unguarded", self.name, error)
            yield None
            return
        if slot is None:
            raise Refused(f"all {self.limits.slots} {self.name} call slots are taken")
        try:
            yield slot
        finally:
            os.close(slot)

    @contextmanager
    def _through_breaker(self) -> Iterator[None]:
        if not self._admitted():
            raise Refused(f"{self.name} circuit is open after repeated failures")
        try:
            yield
        except Exception:
            self._record(lambda state: failed(state, self.clock(), self.limits))
            raise
        if self.state().failures:
            self._record(succeeded)

    @property
    def _key(self) -> tuple[str, str]:
        return (str(self.directory), self.name)

    def state(self) -> State:
        """The breaker as last written (closed when there is no file yet)."""
        try:
            data = json.loads(self._state_path.read_text())
            return State(failures=int(data["failures"]), open_until=float(data["open_until"]))
        except FileNotFoundError:
            return CLOSED
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("%s guard: unreadable %s, taken as closed", self.name, self._state_path)
            return CLOSED

    def _admitted(self) -> bool:
        if self.state().failures < self.limits.threshold:
            return True  # closed, the common case: read without the lock, nothing written
        try:
            with self._locked() as before:
                allowed, after = admit(before, self.clock(), self.limits)
                self._save(before, after)
                return allowed
        except OSError as error:
            log.warning("%s guard: state not updated (%s)", self.name, error)
            return True

    def _record(self, change: Callable[[State], State]) -> None:
        try:
            with self._locked() as before:
                self._save(before, change(before))
        except OSError as error:  # never in place of the call's own outcome
            log.warning("%s guard: state not updated (%s)", self.name, error)

    @contextmanager
    def _locked(self) -> Iterator[State]:
        """The state, read under an exclusive lock held until the block ends."""
        fd = os.open(self.directory / f"{self.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield self.state()
        finally:
            os.close(fd)

    def _save(self, before: State, after: State) -> None:
        if after != before:
            self._write(after)
            self._log_transition(before, after)

    def _write(self, state: State) -> None:
        temporary = self._state_path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(asdict(state)))
        os.replace(temporary, self._state_path)  # readers see the old file or the new one

    def _log_transition(self, before: State, after: State) -> None:
        now = self.clock()
        if after.is_open(now, self.limits) and after.failures > before.failures:
            log.warning(
                "%s circuit open for %.0f s after %d consecutive failures",
                self.name,
                after.open_until - now,
                after.failures,
            )
        elif after == CLOSED and before.failures >= self.limits.threshold:
            log.warning("%s circuit closed: calls succeed again", self.name)

    def _take_slot(self) -> int | None:
        """An open file descriptor holding one slot's lock, or None when all are taken."""
        for index in range(self.limits.slots):
            path = self.directory / f"{self.name}.slot{index}"
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None


def stripe_guard(config: Mapping[str, Any]) -> Guard:
    """The guard every Stripe call of this server goes through, from the `STRIPE_*` settings.

    One per API address (the tests' fake Stripe is not the real one), shared by every process
    that reads the same `STRIPE_GUARD_DIR`.
    """
    api_base = config.get("STRIPE_API_BASE") or "https://api.stripe.com"
    address = hashlib.sha256(api_base.encode()).hexdigest()[:12]
    return Guard(
        Path(config["STRIPE_GUARD_DIR"]),
        f"stripe-{address}",
        Limits(
            slots=config["STRIPE_MAX_CONCURRENT_CALLS"],
            wait=config["STRIPE_SLOT_WAIT_SECONDS"],
            cooldown=config["STRIPE_BREAKER_SECONDS"],
        ),
    )


@contextmanager
def stripe_admission(config: Mapping[str, Any]) -> Iterator[None]:
    """Reserve a Stripe slot for a block that will call Stripe (see `Guard.reserve`), or raise
    `Refused`; nothing to reserve without Stripe (the offline provider)."""
    if not config.get("STRIPE_SECRET_KEY"):
        yield
        return
    with stripe_guard(config).reserve():
        yield
