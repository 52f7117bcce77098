"""People keep their region's holidays: GB's national calendar lacks Easter Monday, a bank
holiday in England, Wales and Northern Ireland, so a scenario's GB staff keep England's unless
``holiday_subdivisions`` says otherwise (Scotland works it). A legal entity keeps the calendar
of where it is registered (``holiday_subdivision``) and bills each month on it."""

from __future__ import annotations

from datetime import date

from sim.scenario.calendar import BusinessCalendar, entity_calendar
from sim.scenario.format import Scenario
from sim.scenario.periods import billing_periods, billing_runs, entity_calendars

EASTER_MONDAY = date(2026, 4, 6)


def test_gb_staff_keep_englands_easter_monday_by_default(small: Scenario) -> None:
    assert small.holiday_subdivisions == {"GB": "ENG"}
    calendar = BusinessCalendar(["GB", "DE"], 2026, 2026, small.holiday_subdivisions)
    assert not calendar.is_business_day("GB", EASTER_MONDAY)
    assert not calendar.is_business_day("DE", EASTER_MONDAY)


def test_scotland_works_easter_monday() -> None:
    calendar = BusinessCalendar(["GB"], 2026, 2026, {"GB": "SCT"})
    assert calendar.is_business_day("GB", EASTER_MONDAY)


def test_each_entity_bills_on_its_own_calendar(small: Scenario) -> None:
    """The small firm's GB company registered in Scotland works Easter Monday: it bills March
    on 6 April (1, 2, 6 April; Good Friday off), the German one on 7 April (Easter Monday
    off too); April's and May's runs agree and are one run for both."""
    entities = [
        e.model_copy(update={"holiday_subdivision": "SCT"}) if e.id == "GB01" else e
        for e in small.legal_entities
    ]
    s = small.model_copy(update={"legal_entities": entities})
    calendar = BusinessCalendar(["DE", "GB"], 2026, 2026, s.holiday_subdivisions,
                                entity_calendars(s))  # fmt: skip
    assert calendar.is_business_day(entity_calendar("GB01"), EASTER_MONDAY)
    assert not calendar.is_business_day("GB", EASTER_MONDAY)  # its English staff keep it
    assert billing_runs(s, calendar) == [
        ("2026-03", date(2026, 4, 6), ("GB01",)),
        ("2026-03", date(2026, 4, 7), ("DE01",)),
        ("2026-04", date(2026, 5, 6), ("DE01", "GB01")),
        ("2026-05", date(2026, 6, 3), ("DE01", "GB01")),  # the run-out's: late items
    ]
    assert billing_periods(s, calendar) == [
        ("2026-03", date(2026, 4, 7)),
        ("2026-04", date(2026, 5, 6)),
        ("2026-05", date(2026, 6, 3)),
    ]


def test_one_entity_or_agreeing_calendars_keep_one_run_a_month(small: Scenario) -> None:
    calendar = BusinessCalendar(["DE", "GB"], 2026, 2026, small.holiday_subdivisions,
                                entity_calendars(small))  # fmt: skip
    runs = billing_runs(small, calendar)
    assert [ids for _, _, ids in runs] == [("DE01", "GB01")] * 3
