"""Business days per country: weekends and national public holidays are not worked or billed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

import holidays

__all__ = ["BusinessCalendar", "at", "entity_calendar"]


def entity_calendar(entity_id: str) -> str:
    """The key of a legal entity's own calendar, usable wherever a country code is."""
    return f"@{entity_id}"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A UTC instant on ``day``: simulated actors keep office hours in UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


class BusinessCalendar:
    """Holidays for the given countries over the given years, looked up without iteration.

    ``subdivisions`` picks the region whose calendar a country's people keep where the
    national one leaves days out (the scenario's ``holiday_subdivisions``: GB's national
    calendar lacks Easter Monday, a bank holiday in England, Wales and Northern Ireland).

    ``entities`` (legal entity id -> (country, subdivision or None)) adds each entity's own
    calendar under ``entity_calendar(id)``: a company keeps the holidays of where it is
    registered (a German GmbH in Munich closes on Bavaria's), and dates its invoices by them."""

    def __init__(
        self,
        countries: list[str],
        first_year: int,
        last_year: int,
        subdivisions: Mapping[str, str] | None = None,
        entities: Mapping[str, tuple[str, str | None]] | None = None,
    ) -> None:
        years = list(range(first_year, last_year + 1))
        subdiv = subdivisions or {}
        self._holidays = {
            c: holidays.country_holidays(c, subdiv=subdiv.get(c), years=years)
            for c in sorted(countries)
        }
        for entity, (country, region) in sorted((entities or {}).items()):
            region = region or subdiv.get(country)
            self._holidays[entity_calendar(entity)] = (
                self._holidays[country]
                if country in self._holidays and region == subdiv.get(country)
                else holidays.country_holidays(country, subdiv=region, years=years)
            )

    def holiday(self, country: str, day: date) -> str | None:
        name = self._holidays[country].get(day)
        return str(name) if name is not None else None

    def is_business_day(self, country: str, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays[country]

    def add_business_days(self, country: str, day: date, n: int) -> date:
        """The n-th business day after ``day`` (``day`` itself when n is 0 and it is one)."""
        while not self.is_business_day(country, day):
            day += timedelta(days=1)
        while n > 0:
            day += timedelta(days=1)
            if self.is_business_day(country, day):
                n -= 1
        return day

    def nth_business_day(self, country: str, year: int, month: int, n: int) -> date:
        return self.add_business_days(country, date(year, month, 1), n - 1)
