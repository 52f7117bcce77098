"""Billing periods: which months are billed, and on which day each billing run happens.

A pure function of the scenario and its calendar, so that the world (to know when faults heal),
the firm (finance triggers the runs) and the runner (how long to simulate) agree without
importing each other.
"""

from __future__ import annotations

from datetime import date

from sim.scenario.calendar import BusinessCalendar
from sim.scenario.format import Scenario

__all__ = ["billing_periods"]


def billing_periods(scenario: Scenario, calendar: BusinessCalendar) -> list[tuple[str, date]]:
    """(period, day of its billing run) for every month up to the end of the run-out."""
    s = scenario
    hq = s.legal_entities[0].country
    runs = []
    year, month = s.period.start.year, s.period.start.month
    while True:
        ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
        run_day = calendar.nth_business_day(hq, ny, nm, s.billing.run_business_day)
        if run_day > s.ends:
            break
        runs.append((f"{year:04d}-{month:02d}", run_day))
        year, month = ny, nm
    return runs
