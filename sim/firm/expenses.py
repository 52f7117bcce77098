"""Consultants spend money for clients and file it monthly; managers approve the reports.

Amounts are drawn in euros and converted to the spender's own currency at the ERP's base
rates, then paid and recorded in that currency: an Indian engineer's taxi is in rupees.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from mocks import PER_EUR
from sim.firm.workforce import Consultant, active_workspace, work_id
from sim.record.truth import ExpenseTruth
from sim.scenario.calendar import at
from sim.scenario.format import CURRENCIES
from sim.seeds import stream
from sim.world.world import World

__all__ = ["start_expenses"]

COUNTRY_CURRENCY = {"DE": "EUR", "FR": "EUR", "NL": "EUR", "ES": "EUR", "IT": "EUR",
                    "GB": "GBP", "US": "USD", "IN": "INR", "JP": "JPY", "PL": "PLN",
                    "SE": "SEK", "CH": "CHF", "CA": "CAD", "AU": "AUD", "SG": "SGD"}  # fmt: skip


def start_expenses(world: World, people: list[Consultant]) -> None:
    policies = {c.id for c in world.scenario.contracts if c.expense_policy is not None}
    spenders = [p for p in people if p.contract in policies]
    if spenders:
        world.env.process(_month_ends(world, spenders))
    subcontractors = [p for p in people if p.vendor is not None]
    if subcontractors:
        world.env.process(_vendor_bills(world, subcontractors))


def _vendor_bills(world: World, people: list[Consultant]) -> Any:
    """At each month end a subcontracting firm bills its people's cost for the month (hours x
    the contract rate x the cost share); the firm approves the bill after review, or disputes
    it and leaves it unapproved. Until then, that person's month may not be billed on."""
    s = world.scenario
    b = s.behaviour.subcontractors
    rng = stream(world.seed, "vendor-bills")
    contracts = {c.id: c for c in s.contracts}
    year, month = s.period.start.year, s.period.start.month
    while date(year, month, 1) <= s.period.end:
        last = date(year, month, calendar.monthrange(year, month)[1])
        yield world.until(at(last + timedelta(days=3), 12))
        for person in people:
            minutes = _minutes_in_month(world, person.psa_id, year, month)
            workspace = active_workspace(world, person.contract)
            if not minutes or workspace is None:
                continue
            contract = contracts[person.contract]
            rate = contract.versions[-1].rates[person.role][person.country]
            cost = (Decimal(minutes) / 60 * rate * b.cost_share).quantize(Decimal("0.01"))
            minor = int(cost.scaleb(CURRENCIES[contract.currency]))
            bill = world.psa.log_expense(
                world.tenant, person.psa_id, workspace, last, "subcontractor_cost", minor,
                contract.currency, f"{person.vendor} invoice {year}-{month:02d}", receipt=True,
                billable=False,
            )  # fmt: skip
            report = world.psa.submit_expense_report(world.tenant, person.psa_id, [bill])
            key = (person.psa_id, f"{year}-{month:02d}")
            world.truth.subcontractor_costs[key] = None
            if rng.random() >= b.dispute_rate:
                world.env.process(_approve_bill(world, person, report, key, rng))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _minutes_in_month(world: World, psa_id: str, year: int, month: int) -> int:
    """The person's minutes worked in the month, looked up by work id (``workforce.work_id``):
    a month's bill costs the month's days, not the year's time."""
    total, day = 0, date(year, month, 1)
    while day.month == month:
        n = 0
        while (work := world.truth.time.get(work_id(psa_id, day, n))) is not None:
            total += work.minutes
            n += 1
        day += timedelta(days=1)
    return total


def _approve_bill(
    world: World, person: Consultant, report: str, key: tuple[str, str], rng: Any
) -> Any:
    lag = world.scenario.behaviour.subcontractors.approval_lag_business_days
    day = world.calendar.add_business_days(
        world.scenario.legal_entities[0].country, world.now().date(),
        rng.randint(lag.min, lag.max),
    )  # fmt: skip
    yield world.until(at(day, 9, 30))
    world.psa.resolve_expense_report(world.tenant, report, approve=True)
    world.truth.subcontractor_costs[key] = world.now()
    world.trace.write("world.subcontractor_cost_approved", user=person.psa_id, month=key[1])


def _local_currency(world: World, country: str) -> str:
    for entity in world.scenario.legal_entities:
        if entity.country == country:
            return entity.currency
    return COUNTRY_CURRENCY.get(country, "EUR")


def _month_ends(world: World, people: list[Consultant]) -> Any:
    s = world.scenario
    rng = stream(world.seed, "expenses")
    year, month = s.period.start.year, s.period.start.month
    while date(year, month, 1) <= s.period.end:
        last = date(year, month, calendar.monthrange(year, month)[1])
        yield world.until(at(last, 19))
        for person in people:
            _file_month(world, person, year, month, rng)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _file_month(world: World, person: Consultant, year: int, month: int, rng: Any) -> None:
    b = world.scenario.behaviour.expenses
    first = max(date(year, month, 1), person.start)
    last = min(date(year, month, calendar.monthrange(year, month)[1]), person.end)
    days = [first + timedelta(d) for d in range((last - first).days + 1)]
    days = [d for d in days if world.calendar.is_business_day(person.country, d)]
    if not days:
        return
    currency = _local_currency(world, person.country)
    workspace = active_workspace(world, person.contract)
    filed = []
    for n in range(rng.randint(b.per_consultant_per_month.min, b.per_consultant_per_month.max)):
        category = rng.choice(sorted(b.categories))
        span = b.categories[category]
        euros = span.min + (span.max - span.min) * Decimal(rng.randint(0, 1000)) / 1000
        local = (euros * PER_EUR[currency]).quantize(
            Decimal(1).scaleb(-CURRENCIES[currency]), rounding=ROUND_HALF_UP
        )
        truth = ExpenseTruth(
            work_id=f"{person.psa_id}:{year}-{month:02d}:{n}", psa_id=None,
            contract=person.contract, consultant=person.psa_id, day=rng.choice(days),
            category=category, currency=currency,
            amount_minor=int(local.scaleb(CURRENCIES[currency])),
            receipt=rng.random() >= b.missing_receipt_rate,
        )  # fmt: skip
        world.truth.expenses[truth.work_id] = truth
        if workspace is None:
            continue  # no project to file it against: owed all the same
        truth.psa_id = world.psa.log_expense(
            world.tenant, person.psa_id, workspace, truth.day, category, truth.amount_minor,
            currency, f"{category} for {person.contract}", truth.receipt,
        )  # fmt: skip
        filed.append(truth)
    if filed:
        report = world.psa.submit_expense_report(
            world.tenant, person.psa_id, [t.psa_id for t in filed if t.psa_id]
        )
        world.env.process(_approve(world, person, report, filed, rng))


def _approve(
    world: World, person: Consultant, report: str, filed: list[ExpenseTruth], rng: Any
) -> Any:
    lag = world.scenario.behaviour.approval_lag_business_days
    day = world.calendar.add_business_days(
        person.country, world.now().date() + timedelta(days=1), rng.randint(lag.min, lag.max)
    )
    yield world.until(at(day, 10, 30))
    world.psa.resolve_expense_report(world.tenant, report, approve=True)
    for truth in filed:
        truth.approved_at = world.now()
    world.trace.write("world.expense_report_approved", report=report, expenses=len(filed))
