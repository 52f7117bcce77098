"""A subcontractor's monthly bill counts that person's minutes in that month, looked up by
work id: exactly what a scan of the whole year's time would find."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from sim.firm.expenses import _minutes_in_month
from sim.firm.workforce import work_id
from sim.record.truth import TimeTruth


def _work(person: str, day: date, n: int, minutes: int) -> TimeTruth:
    return TimeTruth(work_id(person, day, n), None, "K1", person, "consultant", "DE", day,
                     minutes, True)  # fmt: skip


def test_the_month_lookup_matches_a_scan_of_the_year() -> None:
    time = {}
    for person in ("u1", "u2"):
        for month in (1, 2, 3):
            for d in (1, 15, 28):
                for n in range(1 + d % 3):
                    w = _work(person, date(2026, month, d), n, 15 * (d + n + month))
                    time[w.work_id] = w
    world: Any = SimpleNamespace(truth=SimpleNamespace(time=time))
    for person in ("u1", "u2", "nobody"):
        for month in (1, 2, 3, 4):
            scan = sum(t.minutes for t in time.values()
                       if t.consultant == person and t.work_date.month == month)  # fmt: skip
            assert _minutes_in_month(world, person, 2026, month) == scan
    assert _minutes_in_month(world, "u1", 2026, 2) > 0
