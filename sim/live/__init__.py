"""The live room: the world served over HTTP on a test clock, for an integration in another
process (issue 13; docs/live.md).

``clock`` paces the world's SimPy clock by the integration's activity (busy: a configurable
rate; quiet: skip to the next event; frozen: advanced by hand), ``served`` serves the world's
own mocks and the clock's endpoints, ``external`` is the world's core over HTTP, and ``runner``
runs a scenario against the integration and writes the run folder an in-process run writes,
plus ``live.json``. It sits at the runner's level: it uses the runner's run folder, the world,
the firm and the oracle, and only ``sim.app`` uses it.
"""

from sim.live.clock import ClockSettings, LiveClock, WorldLock
from sim.live.runner import IntegrationFailed, LiveRun, run_live

__all__ = ["ClockSettings", "IntegrationFailed", "LiveClock", "LiveRun", "WorldLock", "run_live"]
