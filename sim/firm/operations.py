"""The integration team's daily routine around the core, and what it reads off the core.

Every day at 04:00 simulated, operations reads the core's status (``GET /status``: a read with
no effect, so it is not traced and changes nothing) and keeps the dead-letter depth over time.
Until the core first lists an exception it also reads ``GET /exceptions`` (as cheap while the
log is empty): the world checks both answers against ``contracts/design.yaml`` as they are
read (``sim.world.design_guard``), so a design that answers in a wrong shape stops the run on
the day it first does, not when the books close.
When the scenario has faults, it then triggers the reconciliation job (``POST
/reconciliations``; a design without one answers 404, which is fine), in the safety phase and
in the liveness phase alike: that is how work lost to a dropped webhook is found. While the
core is down the trigger is tried again every 15 minutes, as finance does with billing runs.

Scenarios without faults trigger nothing, so their traces are what they were before.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx

from sim.scenario.calendar import at
from sim.world.courier import CoreRefused

if TYPE_CHECKING:
    from sim.world.world import World

__all__ = ["TRIGGER_RETRY_S", "Operations", "resilience_metrics"]

RECONCILE_HOUR = 4
TRIGGER_RETRY_S = 15 * 60.0
"""How long finance and operations wait to trigger again while the core is down."""


class Operations:
    """Daily status samples and reconciliation triggers."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.dead_letters: list[tuple[str, int]] = []  # (date, depth) when the depth changed
        self.reconciliations = 0  # triggers the core accepted (2xx)
        self._exceptions_read = False  # the first non-empty exception log has been read

    def start(self) -> None:
        self.world.env.process(self._daily())

    def _daily(self) -> Any:
        world = self.world
        day = world.scenario.starts
        while True:  # the run's end stops the clock; this routine never has to
            yield world.until(at(day, RECONCILE_HOUR))
            self._sample(day.isoformat())
            if world.scenario.faults.configured:
                yield from self._reconcile()
            day += timedelta(days=1)

    def _sample(self, day: str) -> None:
        status = self.status()
        if not self._exceptions_read and self.world.core_up:
            self._read_exceptions()
        if status is None:
            return
        depth = int(status.get("resilience", {}).get("dead_letters", 0))
        if not self.dead_letters or self.dead_letters[-1][1] != depth:
            self.dead_letters.append((day, depth))

    def _reconcile(self) -> Any:
        while True:
            try:
                response = self.world.call_core("POST", "/reconciliations", b"{}")
            except CoreRefused:
                yield self.world.env.timeout(TRIGGER_RETRY_S)
                continue
            if response.is_success:
                self.reconciliations += 1
            return

    def _read_exceptions(self) -> None:
        """Read the exception log once more; stop once it lists one or the design has none
        (a daily read of a growing log would cost the whole history every day)."""
        response = self.world.core.handle(httpx.Request("GET", "http://core/exceptions"))
        if response.status_code != 200 or response.json()["exceptions"]:
            self._exceptions_read = True

    def status(self) -> dict[str, Any] | None:
        """The core's status document, or None while it is down or has none (any answer but
        200); the world has checked its shape."""
        if not self.world.core_up:
            return None
        response = self.world.core.handle(httpx.Request("GET", "http://core/status"))
        if response.status_code != 200:
            return None
        body: dict[str, Any] = response.json()
        return body


def resilience_metrics(world: World, ops: Operations) -> dict[str, Any]:
    """Webhook delivery counts, crashes, and the core's own resilience figures (dead letters
    over time, replays, reconciliation fixes, retries, circuit opens and quota waits per
    vendor, its outbox at the end), zeros for a design whose status has no ``resilience``
    block."""
    status = ops.status() or {}
    block = status.get("resilience", {})
    return {
        "webhooks": world.courier.metrics(),
        "crashes": list(world.crashes),
        "resilience": {
            "dead_letters": int(block.get("dead_letters", 0)),
            "dead_letters_over_time": [list(sample) for sample in ops.dead_letters],
            "replays": int(block.get("replays", 0)),
            "reconciliation_fixes": int(block.get("reconciliation_fixes", 0)),
            "reconciliations_triggered": ops.reconciliations,
            "retries": dict(sorted(block.get("retries", {}).items())),
            "circuit_opens": dict(sorted(block.get("circuit_opens", {}).items())),
            "throttled": dict(sorted(block.get("throttled", {}).items())),
            "outbox": int(block.get("outbox", 0)),
        },
    }
