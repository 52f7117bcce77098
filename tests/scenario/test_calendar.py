"""People keep their region's holidays: GB's national calendar lacks Easter Monday, a bank
holiday in England, Wales and Northern Ireland, so a scenario's GB staff keep England's unless
``holiday_subdivisions`` says otherwise (Scotland works it)."""

from __future__ import annotations

from datetime import date

from sim.scenario.calendar import BusinessCalendar
from sim.scenario.format import Scenario

EASTER_MONDAY = date(2026, 4, 6)


def test_gb_staff_keep_englands_easter_monday_by_default(small: Scenario) -> None:
    assert small.holiday_subdivisions == {"GB": "ENG"}
    calendar = BusinessCalendar(["GB", "DE"], 2026, 2026, small.holiday_subdivisions)
    assert not calendar.is_business_day("GB", EASTER_MONDAY)
    assert not calendar.is_business_day("DE", EASTER_MONDAY)


def test_scotland_works_easter_monday() -> None:
    calendar = BusinessCalendar(["GB"], 2026, 2026, {"GB": "SCT"})
    assert calendar.is_business_day("GB", EASTER_MONDAY)
