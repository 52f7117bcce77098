"""Python's cyclic garbage collector, tuned for a run: the world built at setup (specs, schemas,
validators, the scenario, the mocks' apps) lives as long as the run, so it is frozen out of the
collector's scans, and young collections are made rarer. A faulty run spent a fifth to a
quarter of its time in the collector re-scanning that long-lived heap (issue 14's profile);
switching the collector off does not change a trace, so neither does tuning it.

Nothing is left switched: ``release`` puts back the thresholds and returns the frozen objects
to the collector (a test process runs many worlds one after another).
"""

from __future__ import annotations

import gc

__all__ = ["LeanHeap"]

# Young collections every 50,000 net allocations instead of CPython's 700: a simulated day
# allocates and frees millions of short-lived objects (requests, answers, decoded JSON) that
# reference counting frees anyway; the older generations keep CPython's ratios.
_YOUNG = 50_000


class LeanHeap:
    """``freeze()`` once the world is built; ``release()`` when the run is over."""

    def __init__(self) -> None:
        self._thresholds = gc.get_threshold()
        self._frozen = False

    def freeze(self) -> None:
        gc.collect()  # what setup left as garbage goes now, not frozen for the whole run
        gc.freeze()
        self._frozen = True
        gc.set_threshold(_YOUNG, *self._thresholds[1:])

    def release(self) -> None:
        gc.set_threshold(*self._thresholds)
        if self._frozen:
            gc.unfreeze()
            self._frozen = False
