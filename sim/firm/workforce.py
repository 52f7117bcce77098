"""Consultants log daily time, submit weekly; managers approve (or send back) after a lag.

One process walks the calendar for the whole workforce; entries are data. Realistic mess is
drawn from the scenario's behaviour: days off, national holidays, entries logged late, entries
corrected before submission, timesheets rejected and resubmitted with a fix.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sim.record.truth import TimeTruth
from sim.scenario.calendar import at
from sim.scenario.format import Scenario
from sim.seeds import stream
from sim.world.world import World

__all__ = ["Consultant", "active_workspace", "hire", "psa_workspace", "start_workforce", "work_id"]

DEFAULT_LOCALES = {
    "DE": "de_DE",
    "GB": "en_GB",
    "US": "en_US",
    "IN": "en_IN",
    "FR": "fr_FR",
    "NL": "nl_NL",
    "ES": "es_ES",
    "IT": "it_IT",
    "PL": "pl_PL",
    "JP": "ja_JP",
}
TASKS = (
    "design review",
    "implementation",
    "testing",
    "site support",
    "client workshop",
    "documentation",
    "integration",
    "commissioning",
)


@dataclass
class Consultant:
    psa_id: str
    name: str
    role: str
    country: str
    contract: str
    start: date
    end: date
    vendor: str | None = None
    unsubmitted: list[str] = field(default_factory=list)
    held: list[tuple[date, str, str]] = field(default_factory=list)


def kantata_roles(s: Scenario) -> dict[tuple[str, str], str]:
    """The Kantata roles the firm keeps, one per role and country it staffs or sells, named
    "<role> (<country>)": Kantata has no location on a rate card role (developer.kantata.com,
    "Rate Card Role (Rate for a Role)", consulted 2026-12-07), so a rate by country is the rate
    of a role of that country (the integration names them the same way)."""
    pairs = {(st.role, st.country) for c in s.contracts for st in c.staffing}
    pairs |= {(role, country) for c in s.contracts for v in c.versions
              for role, by_country in v.rates.items() for country in by_country}  # fmt: skip
    return {pair: f"{pair[0]} ({pair[1]})" for pair in sorted(pairs)}


def hire(world: World) -> list[Consultant]:
    """Create the PSA roles and users the scenario staffs, named by Faker per country."""
    s = world.scenario
    locales = {**DEFAULT_LOCALES, **{e.country: e.locale for e in s.legal_entities}}
    role_ids = {pair: world.psa.add_role(world.tenant, name)
                for pair, name in kantata_roles(s).items()}  # fmt: skip
    people = []
    for contract in s.contracts:
        for k, staff in enumerate(contract.staffing):
            fake = world.faker(locales.get(staff.country, "en_US"), "staff", contract.id, str(k))
            for n in range(staff.count):
                name = fake.name()
                email = f"{contract.id.lower()}.{k}.{n}@firm.example"
                psa_id = world.psa.add_user(
                    world.tenant, name, email, role_ids[staff.role, staff.country], staff.country,
                    staff.subcontractor,
                )  # fmt: skip
                start, end = s.staffing_window(contract, staff)
                people.append(
                    Consultant(
                        psa_id,
                        name,
                        staff.role,
                        staff.country,
                        contract.id,
                        start,
                        end,
                        vendor=staff.subcontractor,
                    )
                )
    return people


def start_workforce(world: World, people: list[Consultant]) -> None:
    world.env.process(_workdays(world, people))


def _workdays(world: World, people: list[Consultant]) -> Any:
    b = world.scenario.behaviour
    rng = stream(world.seed, "workforce")
    corrections: list[tuple[date, str, int]] = []
    last = world.scenario.period.end + timedelta(days=b.late_entry_days.max + 14)
    day = min(p.start for p in people)
    while day <= last:
        yield world.until(at(day, 17))
        # the day's log is written in one instant, and logging time changes no workspace's
        # status: each contract's workspace is looked up once a day (not per consultant, twice)
        # and the clock read once (not per entry)
        now = world.now()
        workspaces: dict[str, str | None] = {}
        for person in people:
            workspace = workspaces.get(person.contract, "")
            if workspace == "":
                workspace = workspaces[person.contract] = active_workspace(world, person.contract)
            if person.start <= day <= person.end and _works(world, person, day, rng):
                _log_day(world, person, day, rng, corrections, workspace, now)
            if not person.held:
                continue
            for held in [h for h in person.held if h[0] <= day]:
                if workspace is not None:
                    person.held.remove(held)
                    _log(world, person, workspace, world.truth.time[held[1]], held[2], True, now)
        for due, entry_id, minutes in [c for c in corrections if c[0] <= day]:
            corrections.remove((due, entry_id, minutes))
            _correct(world, entry_id, minutes)
        if day.weekday() == 4 or day == last:
            yield world.until(at(day, 18))
            for person in people:
                if person.unsubmitted:
                    _submit(world, person, list(person.unsubmitted), rng)
                    person.unsubmitted.clear()
        day += timedelta(days=1)


def _works(world: World, person: Consultant, day: date, rng: Any) -> bool:
    if not world.calendar.is_business_day(person.country, day):
        return False
    return rng.random() >= world.scenario.behaviour.absence_rate


def active_workspace(world: World, contract_id: str) -> str | None:
    workspace = psa_workspace(world, contract_id)
    if workspace is None or workspace["status"]["message"] != "In Progress":
        return None
    return str(workspace["id"])


def psa_workspace(world: World, contract_id: str) -> dict[str, Any] | None:
    """The contract's PSA workspace, found by its reference once, then read by id: asked per
    consultant per day, a scan of the workspaces would cost the firm's size squared."""
    workspace_id = world.workspace_ids.get(contract_id)
    if workspace_id is None:
        workspace = world.psa.workspace_by_reference(world.tenant, contract_id)
        if workspace is None:
            return None
        workspace_id = world.workspace_ids[contract_id] = str(workspace["id"])
    record: dict[str, Any] = world.psa.tables.get(world.tenant, "workspaces", workspace_id)
    return record


def work_id(psa_id: str, day: date, n: int) -> str:
    """The id of a person's ``n``-th piece of work on ``day`` (from 0, without gaps): the
    month's subcontractor bill looks a month's work up by it instead of scanning the year."""
    return f"{psa_id}:{day.isoformat()}:{n}"


def _log_day(
    world: World,
    person: Consultant,
    day: date,
    rng: Any,
    corrections: list[tuple[date, str, int]],
    workspace: str | None,
    now: datetime,
) -> None:
    """``person``'s work on ``day``, logged in ``workspace`` (the contract's, if active) at
    ``now``."""
    b = world.scenario.behaviour
    quarters = rng.randint(b.quarter_hours_per_day.min, b.quarter_hours_per_day.max)
    pieces = min(rng.randint(b.entries_per_day.min, b.entries_per_day.max), quarters)
    cuts = sorted(rng.sample(range(1, quarters), pieces - 1)) if pieces > 1 else []
    bounds = [0, *cuts, quarters]
    for n, (a, z) in enumerate(itertools.pairwise(bounds)):
        work = TimeTruth(
            work_id=work_id(person.psa_id, day, n),
            psa_id=None,
            contract=person.contract,
            consultant=person.psa_id,
            role=person.role,
            country=person.country,
            work_date=day,
            minutes=15 * (z - a),
            billable=True,
            subcontractor=person.vendor is not None,
        )
        world.truth.time[work.work_id] = work
        task = rng.choice(TASKS)
        if workspace is None or rng.random() < b.late_entry_rate:
            lag = rng.randint(b.late_entry_days.min, b.late_entry_days.max)
            person.held.append((day + timedelta(days=lag), work.work_id, task))
            continue
        entry_id = _log(world, person, workspace, work, task, False, now)
        if rng.random() < b.correction_rate:
            fixed = max(15, work.minutes + 15 * rng.choice((-2, -1, 1, 2)))
            corrections.append((day + timedelta(days=1), entry_id, fixed))


def _log(
    world: World,
    person: Consultant,
    workspace: str,
    work: TimeTruth,
    task: str,
    late: bool,
    now: datetime,
) -> str:
    entry_id = world.psa.log_time(
        world.tenant, person.psa_id, workspace, work.work_date, work.minutes, task
    )
    work.psa_id, work.logged_at, work.late = entry_id, now, late
    world.truth.time_by_psa_id[entry_id] = work
    person.unsubmitted.append(entry_id)
    return entry_id


def _correct(world: World, entry_id: str, minutes: int) -> None:
    """Fix an entry's hours, if it can still be edited (not yet submitted)."""
    entry = world.psa.tables.get(world.tenant, "time_entries", entry_id)
    if not world.psa.editable(entry):
        return
    world.psa.correct_time(world.tenant, entry_id, minutes)
    truth = world.truth.time_by_psa_id[entry_id]
    truth.minutes, truth.corrected = minutes, True
    world.trace.write("world.time_corrected", entry=entry_id, minutes=minutes)


def _submit(
    world: World, person: Consultant, entry_ids: list[str], rng: Any, resubmission: bool = False
) -> None:
    submission = world.psa.submit_timesheet(world.tenant, person.psa_id, entry_ids)
    world.trace.write(
        "world.timesheet_submitted",
        submission=submission,
        user=person.psa_id,
        entries=len(entry_ids),
    )
    world.env.process(_review(world, person, submission, entry_ids, rng, resubmission))


def _review(
    world: World,
    person: Consultant,
    submission: str,
    entry_ids: list[str],
    rng: Any,
    resubmission: bool,
) -> Any:
    """The manager approves after a lag; sometimes sends it back and the consultant fixes it."""
    b = world.scenario.behaviour
    lag = rng.randint(b.approval_lag_business_days.min, b.approval_lag_business_days.max)
    day = world.calendar.add_business_days(
        person.country, world.now().date() + timedelta(days=1), lag
    )
    yield world.until(at(day, 10))
    if not resubmission and rng.random() < b.rejection_rate:
        world.psa.resolve_timesheet(
            world.tenant, submission, approve=False, comment="please fix the hours"
        )
        world.trace.write("world.timesheet_rejected", submission=submission)
        fix_day = world.calendar.add_business_days(person.country, day + timedelta(days=1), 0)
        yield world.until(at(fix_day, 11))
        fixed = entry_ids[rng.randrange(len(entry_ids))]
        entry = world.psa.tables.get(world.tenant, "time_entries", fixed)
        _correct(world, fixed, max(15, entry["time_in_minutes"] + 15 * rng.choice((-2, -1, 1))))
        _submit(world, person, entry_ids, rng, resubmission=True)
        return
    world.psa.resolve_timesheet(world.tenant, submission, approve=True)
    now = world.now()
    for entry_id in entry_ids:
        world.truth.time_by_psa_id[entry_id].approved_at = now
    world.trace.write("world.timesheet_approved", submission=submission, entries=len(entry_ids))
