"""Billing periods: which months are billed, and on which day each billing run happens.

A pure function of the scenario and its calendar, so that the world (to know when faults heal),
the firm (finance triggers the runs) and the runner (how long to simulate) agree without
importing each other.
"""

from __future__ import annotations

from datetime import date

from sim.scenario.calendar import BusinessCalendar, entity_calendar
from sim.scenario.format import Scenario

__all__ = ["billing_periods", "billing_runs", "entity_calendars"]


def entity_calendars(scenario: Scenario) -> dict[str, tuple[str, str | None]]:
    """Legal entity id -> (country, subdivision) of the calendar it keeps (its own
    ``holiday_subdivision``, else its country's in ``holiday_subdivisions``)."""
    return {
        e.id: (e.country, e.holiday_subdivision or scenario.holiday_subdivisions.get(e.country))
        for e in scenario.legal_entities
    }


def billing_runs(
    scenario: Scenario, calendar: BusinessCalendar
) -> list[tuple[str, date, tuple[str, ...]]]:
    """(period, day, legal entities) of every billing run: each entity bills a month on the
    n-th business day of the next on its own calendar, so entities whose calendars agree share
    one run. A month is billed when its first run falls within the run-out, and then by every
    entity (the run lasts until the last of them: a month is never half billed)."""
    s = scenario
    runs = []
    year, month = s.period.start.year, s.period.start.month
    while True:
        ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
        days: dict[date, list[str]] = {}
        for e in s.legal_entities:
            day = calendar.nth_business_day(
                entity_calendar(e.id), ny, nm, s.billing.run_business_day
            )
            days.setdefault(day, []).append(e.id)
        if min(days) > s.ends:
            break
        runs += [(f"{year:04d}-{month:02d}", day, tuple(ids)) for day, ids in sorted(days.items())]
        year, month = ny, nm
    return runs


def billing_periods(scenario: Scenario, calendar: BusinessCalendar) -> list[tuple[str, date]]:
    """(period, day of its last billing run) for every month billed (see ``billing_runs``)."""
    last: dict[str, date] = {}
    for period, day, _ in billing_runs(scenario, calendar):
        last[period] = max(day, last.get(period, day))
    return list(last.items())
