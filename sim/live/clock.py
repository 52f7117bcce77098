"""The test clock: the world's SimPy clock paced by what an external integration is doing.

An in-process design runs on simulated time alone: time skips from event to event. An
integration in another process cannot be told to stop while it works, so the world watches it
instead, the way Temporal's time-skipping test server watches a workflow:

- **busy**: while the integration has requests in flight to the served vendors, or made one
  (or answered the world) within the last ``quiet_s`` of wall time, simulated time runs at
  ``rate`` simulated seconds per wall second (60: a simulated minute per wall second), so its
  retries and backoffs see time pass and can wait out an outage;
- **quiet**: otherwise the clock skips straight to the world's next event (a webhook, a
  timesheet, a billing run, or a timer the integration asked for with ``POST /_clock/sleep``);
  an integration that asks to sleep with none of its requests in flight is quiet after a
  grace of ``SLEEP_GRACE_S`` (20 ms), not ``quiet_s``: it said it waits on the clock;
- **frozen** (``POST /_admin/clock/freeze``): the clock stands still until a test moves it with
  ``POST /_admin/clock/advance``, which processes every event up to the new time before it
  answers (Stripe's test clocks; Stripe advances asynchronously, we answer once it is done), or
  hands it back with ``POST /_admin/clock/run``.

One lock (``WorldLock``) serializes everything that touches the mocks or the SimPy environment:
the simulation loop holds it while it processes events, a served request holds it while its
vendor handles it. The loop gives it up whenever the world waits on the integration (a webhook
or a trigger POSTed to it), because the integration may call the vendors back before it
answers; during that call simulated time stands still.

Limits: the pace is measured on a shared, noisy wall clock, so where the integration's calls fall
in simulated time varies from run to run (no byte-identical trace); a request that takes longer
than ``quiet_s`` to begin after the previous one ended (20 ms when another of its flows has
just gone to sleep) may find the clock has skipped ahead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import simpy

__all__ = ["BudgetExceeded", "ClockSettings", "LiveClock", "WorldLock"]

TICK_S = 0.01  # wall seconds between two paced advances of the simulated clock
SLEEP_GRACE_S = 0.02  # wall seconds a sleeping integration with nothing in flight is busy on


@dataclass(frozen=True)
class ClockSettings:
    """How simulated time follows the integration (see the module docstring)."""

    rate: float = 60.0  # simulated seconds per wall second while the integration is busy
    quiet_s: float = 0.2  # wall seconds without a request after which it counts as quiet
    budget_s: float = 600.0  # wall seconds the whole run may take
    call_timeout_s: float = 30.0  # wall seconds the world waits for one answer of the integration

    def as_dict(self) -> dict[str, float]:
        return {
            "rate_sim_s_per_wall_s": self.rate,
            "quiet_ms": round(self.quiet_s * 1000, 3),
            "budget_s": self.budget_s,
            "call_timeout_s": self.call_timeout_s,
        }


class BudgetExceeded(RuntimeError):
    """The run took longer than its wall-clock budget."""


class WorldLock:
    """The one lock around the world's state, which knows whether the simulation loop holds
    it (so that a call to the integration made from inside an event gives it up)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            self._owner = threading.get_ident()
            try:
                yield
            finally:
                self._owner = None

    @contextmanager
    def released(self) -> Iterator[None]:
        """Give the lock up for the duration if this thread holds it (no-op otherwise)."""
        if self._owner != threading.get_ident():
            yield
            return
        self._owner = None
        self._lock.release()
        try:
            yield
        finally:
            self._lock.acquire()
            self._owner = threading.get_ident()


@dataclass
class LiveClock:
    """Drives ``env`` to a moment while pacing it by the integration's activity."""

    env: simpy.Environment
    epoch: datetime
    lock: WorldLock
    settings: ClockSettings = field(default_factory=ClockSettings)

    def __post_init__(self) -> None:
        self._activity = threading.Lock()
        self.in_flight = 0
        self.last_active = time.monotonic()
        self.busy_since: float | None = None  # wall start of the current busy streak
        self.started = time.monotonic()
        self.frozen = False
        self._advance_to: float | None = None
        self._advanced = threading.Condition()
        self.busy_wall_s = 0.0  # wall seconds spent paced (busy)
        self.skips = 0  # jumps to the next event while quiet

    # -- activity (called from the served vendors and the external core) --------------------

    def begin(self) -> None:
        with self._activity:
            self.in_flight += 1

    def end(self) -> None:
        with self._activity:
            self.in_flight -= 1
            self.last_active = time.monotonic()

    def touch(self) -> None:
        with self._activity:
            self.last_active = time.monotonic()

    def sleeping(self) -> None:
        """The integration asked to sleep (``POST /_clock/sleep``): with none of its requests
        in flight it is waiting on the clock, so it counts as quiet after ``SLEEP_GRACE_S``
        rather than the whole ``quiet_s``. A design that polls a vendor on a schedule (the
        reference core reads Kantata's change feed) otherwise spends ``quiet_s`` of wall time
        paced at every read, and a run of months spends minutes doing nothing; the grace
        still lets another flow of the integration that was between two calls send its next
        one before the clock skips."""
        with self._activity:
            if self.in_flight == 0:
                grace = min(SLEEP_GRACE_S, self.settings.quiet_s)
                self.last_active = min(
                    self.last_active, time.monotonic() - self.settings.quiet_s + grace
                )

    def busy(self) -> bool:
        with self._activity:
            return self.in_flight > 0 or time.monotonic() - self.last_active < self.settings.quiet_s

    def now(self) -> datetime:
        return self.epoch + timedelta(seconds=self.env.now)

    # -- the admin side ------------------------------------------------------------------------

    def freeze(self) -> None:
        with self._advanced:
            self.frozen = True

    def resume(self) -> None:
        with self._advanced:
            self.frozen = False
            self._advanced.notify_all()

    def advance(self, to: datetime, wait_s: float = 60.0) -> bool:
        """Ask the (frozen) loop to process every event up to ``to``; True once it has."""
        target = (to - self.epoch).total_seconds()
        with self._advanced:
            if not self.frozen:
                raise ValueError("the clock is not frozen: POST /_admin/clock/freeze first")
            self._advance_to = max(target, self._advance_to or 0.0)
            self._advanced.notify_all()
            return self._advanced.wait_for(
                lambda: self._advance_to is None or not self.frozen, timeout=wait_s
            )

    # -- the loop --------------------------------------------------------------------------

    def run(self, until: float, stop: Callable[[], str | None] | None = None) -> None:
        """Process the world's events up to simulated second ``until`` (see the module
        docstring); raises ``BudgetExceeded`` past the wall-clock budget. ``stop`` may name a
        reason to give up early (the integration failed): it is raised as ``BudgetExceeded``."""
        env = self.env
        paced_from: float | None = None
        while env.now < until:
            self._check_budget(stop)
            if self.frozen:
                self._frozen_step(until)
                paced_from = None
                continue
            if self.busy():
                wall = time.monotonic()
                if self.busy_since is None:
                    self.busy_since = wall
                if paced_from is None:
                    paced_from = wall
                time.sleep(TICK_S)
                now_wall = time.monotonic()
                step = (now_wall - paced_from) * self.settings.rate
                self.busy_wall_s += now_wall - paced_from
                paced_from = now_wall
                with self.lock.held():
                    target = min(until, env.now + step)
                    if target > env.now:
                        env.run(until=target)
                continue
            paced_from = None
            self.busy_since = None
            with self.lock.held():
                if env.peek() >= until:  # as env.run(until): not the events at until
                    env.run(until=until)
                else:
                    env.step()
                    self.skips += 1

    def settle(self, stop: Callable[[], str | None] | None = None) -> None:
        """Wait (in wall time, the simulated clock standing) until the integration is quiet."""
        while self.busy():
            self._check_budget(stop)
            time.sleep(TICK_S)

    def _frozen_step(self, until: float) -> None:
        with self._advanced:
            if self._advance_to is None:
                self._advanced.wait(timeout=TICK_S * 10)
                return
            target = min(self._advance_to, until)
        with self.lock.held():
            while self.env.peek() <= target:
                self.env.step()
            if target > self.env.now:
                self.env.run(until=target)
        with self._advanced:
            self._advance_to = None
            self._advanced.notify_all()

    def _check_budget(self, stop: Callable[[], str | None] | None) -> None:
        elapsed = time.monotonic() - self.started
        if stop is not None:
            reason = stop()
            if reason is not None:
                raise BudgetExceeded(reason)
        if elapsed <= self.settings.budget_s:
            return
        busy = ""
        if self.busy_since is not None:
            busy = (
                f"; the integration has been busy without a quiet period of "
                f"{self.settings.quiet_s * 1000:g} ms for the last "
                f"{time.monotonic() - self.busy_since:.1f} s (it never went quiet)"
            )
        raise BudgetExceeded(
            f"the run's wall-clock budget of {self.settings.budget_s:g} s is spent at simulated "
            f"{self.now().isoformat()}{busy}"
        )

    def figures(self) -> dict[str, Any]:
        wall = time.monotonic() - self.started
        return {
            "wall_s": round(wall, 3),
            "busy_wall_s": round(self.busy_wall_s, 3),
            "skips": self.skips,
            "simulated_s": round(self.env.now, 3),
            "simulated_per_wall": round(self.env.now / wall, 1) if wall > 0 else None,
        }
