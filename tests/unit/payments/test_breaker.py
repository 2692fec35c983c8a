"""The Stripe guard: breaker transitions as pure functions, and the slots and state shared
through files by separate processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from marketplace.payments.breaker import (
    CLOSED,
    Guard,
    Limits,
    Refused,
    State,
    admit,
    failed,
    stripe_guard,
    succeeded,
)

LIMITS = Limits(slots=2, threshold=2, cooldown=30.0)


# Transitions ---------------------------------------------------------------------------------


def test_closed_admits_without_changing_anything():
    assert admit(CLOSED, 100.0, LIMITS) == (True, CLOSED)
    assert admit(State(failures=1), 100.0, LIMITS) == (True, State(failures=1))


def test_the_threshold_th_consecutive_failure_opens_for_the_cooldown():
    once = failed(CLOSED, 100.0, LIMITS)
    assert once == State(failures=1, open_until=0.0)
    twice = failed(once, 101.0, LIMITS)
    assert twice == State(failures=2, open_until=131.0)
    assert admit(twice, 130.9, LIMITS) == (False, twice)


def test_a_success_forgets_the_failures():
    assert succeeded(State(failures=1)) == CLOSED
    assert succeeded(State(failures=5, open_until=131.0)) == CLOSED


def test_after_the_cooldown_one_probe_goes_and_the_others_wait_for_it():
    opened = State(failures=2, open_until=131.0)
    allowed, probing = admit(opened, 131.0, LIMITS)
    assert allowed and probing == State(failures=2, open_until=161.0)
    assert admit(probing, 131.5, LIMITS) == (False, probing)  # a second caller meanwhile
    assert failed(probing, 140.0, LIMITS) == State(failures=3, open_until=170.0)  # reopened
    assert succeeded(probing) == CLOSED


def test_a_deadline_beyond_one_cooldown_has_expired():
    """The clock stepped back (or the file is stale): never refuse for longer than a cooldown."""
    stale = State(failures=2, open_until=10_000.0)
    assert admit(stale, 100.0, LIMITS)[0] is True


# Guard ---------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def guard(tmp_path, clock=None, **limits) -> Guard:
    return Guard(tmp_path, "stripe-test", Limits(**{**vars(LIMITS), **limits}), clock or Clock())


def fail_once(g: Guard) -> None:
    with pytest.raises(TimeoutError), g.call():
        raise TimeoutError


def test_calls_beyond_the_slots_are_refused_at_once(tmp_path):
    g = guard(tmp_path)
    with g.call(), g.call():
        with pytest.raises(Refused, match="all 2 stripe-test call slots are taken"), g.call():
            pytest.fail("a third call ran")
    with g.call():  # the slots are free again
        pass


def test_a_reserved_slot_serves_the_calls_of_its_block_and_turns_others_away(tmp_path):
    g = guard(tmp_path, slots=1)
    with g.reserve():
        with g.call(), g.call():  # this thread's calls use its reserved slot
            pass
        with pytest.raises(Refused):  # another thread: the only slot is taken
            run_in_thread(g.reserve)
    run_in_thread(g.reserve)  # released with its block


def run_in_thread(context) -> None:
    """Enter and leave `context()` in another thread; re-raise what it raised."""
    raised = []

    def run() -> None:
        try:
            with context():
                pass
        except Exception as error:
            raised.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if raised:
        raise raised[0]


def test_reserving_is_refused_while_the_breaker_is_open(tmp_path):
    clock = Clock()
    g = guard(tmp_path, clock)
    fail_once(g)
    fail_once(g)
    with pytest.raises(Refused, match="circuit is open"), g.reserve():
        pytest.fail("reserved through an open breaker")
    clock.now += 30  # may probe: the reservation's call is the probe
    with g.reserve(), g.call():
        pass
    assert g.state() == CLOSED


def test_two_failures_open_the_breaker_for_every_guard_on_the_folder(tmp_path):
    clock = Clock()
    worker_a, worker_b = guard(tmp_path, clock), guard(tmp_path, clock)
    fail_once(worker_a)
    with worker_b.call():  # one failure: still closed, and this success resets the count
        pass
    assert worker_a.state() == CLOSED
    fail_once(worker_a)
    fail_once(worker_b)

    assert worker_a.state() == State(failures=2, open_until=1_030.0)
    with pytest.raises(Refused, match="circuit is open"), worker_b.call():
        pytest.fail("called through an open breaker")

    clock.now = 1_030.0  # cooldown over: worker B's call is the probe, A must wait for it
    with worker_b.call():
        with pytest.raises(Refused, match="circuit is open"), worker_a.call():
            pytest.fail("a second probe ran")
    assert worker_a.state() == CLOSED  # the probe succeeded


def test_a_failed_probe_opens_it_again(tmp_path):
    clock = Clock()
    g = guard(tmp_path, clock)
    fail_once(g)
    fail_once(g)
    clock.now += 30
    fail_once(g)
    assert g.state() == State(failures=3, open_until=clock.now + 30)


def test_an_unreadable_state_file_counts_as_closed(tmp_path):
    g = guard(tmp_path)
    (tmp_path / "stripe-test.state").write_text("{not json")
    with g.call():
        pass


def test_an_unusable_folder_lets_calls_through_unguarded(tmp_path):
    (tmp_path / "file").write_text("")
    g = Guard(tmp_path / "file" / "guard", "stripe-test", LIMITS)
    with g.reserve(), g.call():
        pass
    fail_once(g)  # the call's own error comes out, not the guard's


HOLD_A_SLOT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from marketplace.payments.breaker import Guard, Limits

    guard = Guard(Path(sys.argv[1]), "stripe-test", Limits(slots=1))
    with guard.call():
        print("holding", flush=True)
        sys.stdin.readline()
    """
)


def test_a_slot_held_by_another_process_is_taken_and_freed_when_it_ends(tmp_path):
    g = guard(tmp_path, slots=1)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_SLOT, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "holding\n"
        with pytest.raises(Refused), g.call():
            pytest.fail("called while another process held the only slot")
    finally:
        holder.kill()  # even killed, its lock goes with it
        holder.wait(timeout=5)
        holder.stdin.close()
        holder.stdout.close()
    with g.call():
        pass


def test_the_stripe_guard_is_per_api_address_and_from_the_settings(tmp_path):
    config = {
        "STRIPE_GUARD_DIR": str(tmp_path),
        "STRIPE_API_BASE": "http://127.0.0.1:1",
        "STRIPE_MAX_CONCURRENT_CALLS": 3,
        "STRIPE_SLOT_WAIT_SECONDS": 0.0,
        "STRIPE_BREAKER_SECONDS": 5.0,
    }
    g = stripe_guard(config)
    assert g.directory == tmp_path
    assert g.limits == Limits(slots=3, threshold=2, cooldown=5.0)
    other = stripe_guard({**config, "STRIPE_API_BASE": "https://api.stripe.com"})
    assert g.name != other.name and g.name.startswith("stripe-")


def test_a_call_waits_briefly_for_a_slot_freed_meanwhile(tmp_path):
    g = guard(tmp_path, slots=1, wait=2.0)
    holding, released = threading.Event(), threading.Event()

    def hold_then_release():
        with g.call():
            holding.set()
            released.wait(5)

    holder = threading.Thread(target=hold_then_release)
    holder.start()
    assert holding.wait(5)
    threading.Timer(0.2, released.set).start()
    entered = False

    with g.call():  # the only slot is held now; it frees within the wait
        entered = True

    holder.join()
    assert entered  # it got the freed slot instead of being refused


def test_a_call_still_refused_when_no_slot_frees_within_the_wait(tmp_path):
    g = guard(tmp_path, slots=1, wait=0.1)
    with g.call(), pytest.raises(Refused), g.call():
        pass
