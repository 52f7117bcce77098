"""The test clock on a bare SimPy environment: quiet skips, busy paces, frozen advances by
hand, the budget ends a run that never goes quiet, and the world lock is given up only by the
thread that holds it."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import simpy

from sim.live.clock import BudgetExceeded, ClockSettings, LiveClock, WorldLock

EPOCH = datetime(2026, 3, 1, tzinfo=UTC)
DAY = 86400.0


def _clock(**settings: float) -> LiveClock:
    return LiveClock(simpy.Environment(), EPOCH, WorldLock(), ClockSettings(**settings))


def _ticks(env: simpy.Environment, every: float, seen: list[float]) -> object:
    while True:
        yield env.timeout(every)
        seen.append(env.now)


def test_a_quiet_integration_lets_the_clock_skip_from_event_to_event() -> None:
    clock = _clock(quiet_s=0.0)
    seen: list[float] = []
    clock.env.process(_ticks(clock.env, DAY, seen))
    clock.run(30 * DAY)
    assert clock.env.now == 30 * DAY
    assert seen == [d * DAY for d in range(1, 30)]  # the 30th fires at ``until``: not processed
    assert clock.skips == 30  # the 29 days and the process's start, each a step
    assert clock.busy_wall_s == 0.0


def test_a_busy_integration_gets_at_most_rate_simulated_seconds_per_wall_second() -> None:
    clock = _clock(rate=60.0, quiet_s=0.0)
    clock.begin()  # a request in flight for the whole run
    started = time.monotonic()
    clock.run(3.0)  # three simulated seconds: about 50 ms of wall time at 60x
    wall = time.monotonic() - started
    assert clock.env.now == 3.0
    assert clock.busy_wall_s > 0
    # never faster than the rate (a slow machine only makes it slower)
    assert wall >= 3.0 / 60.0
    clock.end()


def test_the_quiet_period_keeps_the_clock_paced_after_the_last_request() -> None:
    clock = _clock(rate=60.0, quiet_s=10.0)
    clock.begin()
    clock.end()  # answered just now: busy for the next 10 wall seconds
    assert clock.busy()
    seen: list[float] = []
    clock.env.process(_ticks(clock.env, DAY, seen))
    clock.run(1.5)  # paced: a day-long skip would be impossible
    assert seen == []
    assert clock.skips == 0


def test_a_frozen_clock_moves_only_when_advanced() -> None:
    clock = _clock(quiet_s=0.0)
    seen: list[float] = []
    clock.env.process(_ticks(clock.env, DAY, seen))
    clock.freeze()
    loop = threading.Thread(target=clock.run, args=(10 * DAY,))
    loop.start()
    time.sleep(0.2)
    assert clock.env.now == 0.0  # frozen: nothing moves
    assert clock.advance(EPOCH + timedelta(days=3, hours=1))
    assert clock.now() == EPOCH + timedelta(days=3, hours=1)
    assert seen == [DAY, 2 * DAY, 3 * DAY]
    clock.resume()
    loop.join(10)
    assert not loop.is_alive()
    assert clock.env.now == 10 * DAY


def test_advance_needs_a_frozen_clock() -> None:
    with pytest.raises(ValueError, match="not frozen"):
        _clock().advance(EPOCH + timedelta(days=1))


def test_an_integration_that_never_goes_quiet_spends_the_budget_with_a_clear_message() -> None:
    clock = _clock(rate=1.0, quiet_s=0.05, budget_s=0.3)
    clock.begin()
    with pytest.raises(BudgetExceeded, match="never went quiet") as failed:
        clock.run(DAY)
    assert "budget of 0.3 s" in str(failed.value)
    assert "2026-03-01T00:00" in str(failed.value)


def test_a_stop_reason_ends_the_run() -> None:
    clock = _clock(quiet_s=0.0)
    clock.env.process(_ticks(clock.env, 60.0, []))
    with pytest.raises(BudgetExceeded, match="gone"):
        clock.run(DAY, stop=lambda: "gone")


def test_the_world_lock_is_given_up_only_by_its_holder() -> None:
    lock = WorldLock()
    with lock.released():  # not held: nothing to give up
        pass
    taken: list[bool] = []

    def other() -> None:
        with lock.held():
            taken.append(True)

    with lock.held():
        with lock.released():
            helper = threading.Thread(target=other)
            helper.start()
            helper.join(5)
        assert taken == [True]  # the other thread got it while this one waited


def test_an_integration_that_goes_to_sleep_is_quiet_after_the_grace_not_quiet_s() -> None:
    """``POST /_clock/sleep`` with nothing in flight: quiet after 20 ms; a request still in
    flight keeps it busy (another flow of the integration is working)."""
    clock = _clock(quiet_s=5.0)
    clock.begin()
    clock.end()
    assert clock.busy()  # within quiet_s of its last request
    clock.begin()
    clock.sleeping()  # one flow sleeps while another's request is in flight
    clock.end()
    assert clock.busy()
    clock.sleeping()
    time.sleep(0.05)
    assert not clock.busy()  # would be busy for 5 s without the sleep
    clock.touch()  # its timer fired: busy again for quiet_s
    assert clock.busy()
