"""Rules that refuse a scenario which cannot be run honestly.

A scenario the format accepts can still be one no integration could get right: work the world
cannot place on a calendar, a seller no tax rule covers, a milestone accepted before its
contract exists, a run that stops before the last month is billed. Run anyway, such a file
either ends in a traceback or blames the design under test for leakage it could not avoid. So
these are refused at validation, each naming the field path and what was expected:

- every country the world keeps a calendar for (entities, clients, staff) is one the
  ``holidays`` package knows, each ``holiday_subdivisions`` entry and each entity's
  ``holiday_subdivision`` one of its country's regions, and every locale one Faker has;
- every legal entity sells where the scenario has a tax rule (a VAT rate, US or IN);
- a milestone falls due, and a breach is recorded, only once the contract can have been
  executed: after legal's pick-up (the next business day after closed-won) and its longest
  review (``behaviour.legal_lag_business_days.max``), on the first entity's calendar;
- the run lasts until the billing run for the period's last month has happened (every
  entity's, each on its own calendar), with
  ``POSTING_DAYS`` to spare for the invoices to post;
- a working day is at least one quarter hour (``quarter_hours_per_day.min >= 1``): Kantata
  records time in minutes and a consultant who worked logs it; a day without work is the
  ``absence_rate``'s business, not a zero-minute entry (which would hold its contract's month).
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import holidays

from sim.scenario.calendar import BusinessCalendar, entity_calendar
from sim.scenario.format import ContractSpec, Scenario
from sim.scenario.periods import billing_periods, entity_calendars

__all__ = ["POSTING_DAYS", "feasibility"]

Issue = tuple[str, str]
POSTING_DAYS = 3


@cache
def _countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


@cache
def _locales() -> frozenset[str]:
    from faker.config import AVAILABLE_LOCALES  # only when a file is checked: Faker is slow

    return frozenset(AVAILABLE_LOCALES)


def feasibility(s: Scenario) -> list[Issue]:
    """Every reason ``s`` cannot be run honestly (empty when it can)."""
    issues = _places(s)
    if issues:
        return issues  # the calendar-based rules below need every country known
    issues += _taxes(s)
    b = s.behaviour
    if b.quarter_hours_per_day.min < 1:
        why = "at least 1 (a day's work is at least one quarter hour; days off are absence_rate)"
        issues.append(("behaviour.quarter_hours_per_day.min", why))
    if b.quarter_hours_per_day.max > 96:
        issues.append(("behaviour.quarter_hours_per_day.max", "at most 96 (24 hours)"))
    hq = s.legal_entities[0].country
    calendar = BusinessCalendar([hq], s.starts.year, s.ends.year + 2, s.holiday_subdivisions,
                                entity_calendars(s))  # fmt: skip
    for i, c in enumerate(s.contracts):
        issues += _after_execution(s, c, f"contracts[{i}]", calendar)
    runs = dict(billing_periods(s, calendar))
    last = f"{s.period.end:%Y-%m}"
    if last not in runs or runs[last] + timedelta(days=POSTING_DAYS) > s.ends:
        ny, nm = (s.period.end.year + 1, 1) if s.period.end.month == 12 else (
            s.period.end.year, s.period.end.month + 1)  # fmt: skip
        day = max(calendar.nth_business_day(entity_calendar(e.id), ny, nm,
                                            s.billing.run_business_day)
                  for e in s.legal_entities)  # the last entity's run  # fmt: skip
        need = (day + timedelta(days=POSTING_DAYS) - s.period.end).days
        issues.append(("run_out_days", f"at least {need}: the billing run for {last} is on {day} "
                       f"and its invoices need {POSTING_DAYS} days to post"))  # fmt: skip
    return issues


def _places(s: Scenario) -> list[Issue]:
    known, locales = _countries(), _locales()
    issues: list[Issue] = []
    hint = "a country with a public-holiday calendar (ISO 3166-1, e.g. DE, GB, IN, US)"
    for i, e in enumerate(s.legal_entities):
        if e.country not in known:
            issues.append((f"legal_entities[{i}].country", hint))
        if e.locale not in locales:
            issues.append((f"legal_entities[{i}].locale", _locale_hint(e.locale)))
    for i, cl in enumerate(s.clients):
        if cl.country not in known:
            issues.append((f"clients[{i}].country", hint))
        if cl.locale not in locales:
            issues.append((f"clients[{i}].locale", _locale_hint(cl.locale)))
    for i, c in enumerate(s.contracts):
        for k, staff in enumerate(c.staffing):
            if staff.country not in known:
                issues.append((f"contracts[{i}].staffing[{k}].country", hint))
    supported = holidays.list_supported_countries()
    for i, e in enumerate(s.legal_entities):
        own = supported.get(e.country) or []
        if e.holiday_subdivision is not None and e.holiday_subdivision not in own:
            listed = ", ".join(own[:12]) or "it has none"
            issues.append((f"legal_entities[{i}].holiday_subdivision",
                           f"one of {e.country}'s subdivisions ({listed})"))  # fmt: skip
    for country, subdivision in sorted(s.holiday_subdivisions.items()):
        regions = supported.get(country)
        if regions is None:
            issues.append((f"holiday_subdivisions.{country}", hint))
        elif subdivision not in regions:
            issues.append((f"holiday_subdivisions.{country}", f"one of {country}'s "
                           f"subdivisions ({', '.join(regions[:12])})"))  # fmt: skip
    return issues


def _locale_hint(locale: str) -> str:
    same = sorted(x for x in _locales() if x[:2] == locale[:2])[:8]
    return f"a locale Faker has ({', '.join(same) or 'e.g. en_GB, de_DE'})"


def _taxes(s: Scenario) -> list[Issue]:
    covered = {*s.tax.vat_rates, "US", "IN"}
    return [
        (f"legal_entities[{i}].country", f"a country the scenario has a tax rule for "
         f"({', '.join(sorted(covered))}); add its rate to tax.vat_rates")
        for i, e in enumerate(s.legal_entities) if e.country not in covered
    ]  # fmt: skip


def _after_execution(
    s: Scenario, c: ContractSpec, here: str, calendar: BusinessCalendar
) -> list[Issue]:
    """Milestones and breaches only after the latest day legal can have executed the SOW."""
    hq = s.legal_entities[0].country
    picked = calendar.add_business_days(hq, c.close_date + timedelta(days=1), 0)
    executed = calendar.add_business_days(hq, picked, s.behaviour.legal_lag_business_days.max)
    why = (f"a date after {executed}, when the contract may first be executed (closed "
           f"{c.close_date}, up to {s.behaviour.legal_lag_business_days.max} business days of "
           "legal review)")  # fmt: skip
    issues: list[Issue] = []
    for j, m in enumerate(c.milestones):
        if m.due <= executed:
            issues.append((f"{here}.milestones[{j}].due", why))
    if c.service_level is not None:
        issues += [
            (f"{here}.service_level.breaches[{j}]", why)
            for j, day in enumerate(c.service_level.breaches)
            if day <= executed
        ]
    return issues
