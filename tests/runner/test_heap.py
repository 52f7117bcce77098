"""The collector tuned for a run (nothing frozen), and put back as it was after it (a test
process runs many worlds one after another)."""

from __future__ import annotations

import gc

from sim.heap import LeanHeap


def test_a_run_collects_young_objects_less_often_and_leaves_nothing_switched() -> None:
    before = gc.get_threshold()
    heap = LeanHeap()
    heap.tune()
    try:
        assert gc.get_threshold()[0] > before[0] and gc.get_threshold()[1:] == before[1:]
        assert gc.get_freeze_count() == 0  # a crashed core must stay collectable
    finally:
        heap.release()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    heap.release()  # a second release (a run that failed early) changes nothing
    assert gc.get_threshold() == before


def test_a_run_that_fails_before_freezing_puts_nothing_back_wrongly() -> None:
    before = gc.get_threshold()
    LeanHeap().release()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
