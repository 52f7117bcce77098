"""Kantata reads ahead: the records of approved submissions and expense reports read
together, a full page a call, before their flows ask for them one by one.

Its own room because it is the PSA adapter's batching: the change feed side-loads each
approved submission (with ``time_entry_ids``) and expense report (``expense_ids``), so the
core knows which records it will collect before any flow starts; reading them 200 at a time
by Kantata's ``only`` turns two calls per submission into one per ~25 submissions. What is
read ahead lives in memory only, each handed out once (a restarted core reads again).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from orchestrator.model import Expense, Resource, TimeEntry
from orchestrator.money import minor_unit
from orchestrator.runtime import Flow

__all__ = ["ReadAhead", "expense_of", "our_role", "time_of"]


def our_role(kantata_name: str) -> str:
    """Our role name from a Kantata role's: "<role> (<country>)" without its country."""
    head, sep, tail = kantata_name.rpartition(" (")
    return head if sep and tail.endswith(")") and len(tail) == 3 else kantata_name


Pages = Callable[[str, Mapping[str, str]], Flow[tuple[list[Any], dict[str, Any]]]]


class ReadAhead:
    """What the PSA adapter read ahead, until collected; ``pages`` reads every page of a
    listing (the adapter's), ``page_size`` records at most a page."""

    def __init__(self, pages: Pages, page_size: int) -> None:
        self._pages = pages
        self.page_size = page_size
        # approved submissions (reports) whose entries (expenses) were read ahead, until
        # collected: submission id -> what ``submitted_time`` returns
        self._time: dict[str, list[tuple[TimeEntry, Resource]]] = {}
        self._expenses: dict[str, list[Expense]] = {}

    def take_time(self, submission_id: str) -> list[tuple[TimeEntry, Resource]] | None:
        """The entries read ahead for ``submission_id`` (handed out once), or None."""
        return self._time.pop(submission_id, None)

    def take_expenses(self, report_id: str) -> list[Expense] | None:
        """The expenses read ahead for ``report_id`` (handed out once), or None."""
        return self._expenses.pop(report_id, None)

    def read_ahead(self, submissions: Sequence[Mapping[str, Any]]) -> Flow[int]:
        """Read the time entries of approved ``submissions`` (their records as Kantata served
        them, e.g. side-loaded on the change feed: ``time_entry_ids``, the approval moment)
        together, so that ``submitted_time`` hands them out without a call: a week's
        timesheet is a few entries, so two calls per submission become one per ~25
        submissions. A submission whose entries did not all come back is left to
        ``submitted_time``'s own read. Returns how many submissions were read ahead."""
        wanted = [s for s in submissions if s["status"] == "approved"]
        rows, side = yield from self._by_ids(
            "/time_entries", [str(i) for s in wanted for i in s["time_entry_ids"]], "user,role"
        )
        done = 0
        people: dict[tuple[str, str], Resource] = {}
        for submission in wanted:
            ids = [str(i) for i in submission["time_entry_ids"]]
            if all(i in rows for i in ids):
                approved_at = datetime.fromisoformat(
                    submission["current_resolution_created_at_date"]
                )
                entries = [time_of(rows[i], side, approved_at, people) for i in ids]
                self._time[str(submission["id"])] = entries
                done += 1
        return done

    def read_ahead_submissions(self, submission_ids: Sequence[str]) -> Flow[int]:
        """``read_ahead`` of submissions known by id only (the reconciliation's): their
        records first, by ``only`` as well (vendor-specs kantata/mavenlink-timesheet-
        submissions-api-openapi.yml, GET /timesheet_submissions ``only``, consulted
        2026-12-07)."""
        rows, _ = yield from self._by_ids("/timesheet_submissions", list(submission_ids), None)
        return (yield from self.read_ahead(list(rows.values())))

    def read_ahead_expenses(self, reports: Sequence[Mapping[str, Any]]) -> Flow[int]:
        """``read_ahead`` for approved expense reports (``expense_ids``, ``resolved_at``):
        ``reported_expenses`` hands their expenses out without a call."""
        wanted = [r for r in reports if r["status"] == "approved"]
        rows, _ = yield from self._by_ids(
            "/expenses", [str(i) for r in wanted for i in r["expense_ids"]], None
        )
        done = 0
        for report in wanted:
            ids = [str(i) for i in report["expense_ids"]]
            if all(i in rows for i in ids):
                approved_at = datetime.fromisoformat(report["resolved_at"])
                self._expenses[str(report["id"])] = [expense_of(rows[i], approved_at) for i in ids]
                done += 1
        return done

    def _by_ids(
        self, path: str, ids: list[str], include: str | None
    ) -> Flow[tuple[dict[str, Any], dict[str, Any]]]:
        """The records of ``ids`` by id, and their side-loads: Kantata's ``only`` (ids,
        comma-separated), ``PER_PAGE`` ids a call, so each call is one full page (at most
        200 records a page: vendor-specs kantata/mavenlink-time-entries-api-openapi.yml and
        mavenlink-expenses-api-openapi.yml, ``only`` and ``per_page``;
        developer.kantata.com/kantata/specification/time-entries/get-time-entries, consulted
        2026-12-07)."""
        rows: dict[str, Any] = {}
        side: dict[str, Any] = {}
        for start in range(0, len(ids), self.page_size):
            params = {"only": ",".join(ids[start : start + self.page_size])}
            if include is not None:
                params["include"] = include
            found, more = yield from self._pages(path, params)
            rows.update((str(row["id"]), row) for row in found)
            for name, records in more.items():
                side.setdefault(name, {}).update(records)
        return rows, side


def time_of(
    row: Mapping[str, Any],
    side: Mapping[str, Any],
    approved_at: datetime,
    people: dict[tuple[str, str], Resource],
) -> tuple[TimeEntry, Resource]:
    """A Kantata time entry and its side-loaded user and role, as the core's entry and
    resource. ``people`` keeps the resources a read made already: one frozen ``Resource``
    per consultant and role, shared by their entries (and by the ledger's items), instead
    of one built and validated per entry."""
    key = (str(row["user_id"]), str(row["role_id"]))
    resource = people.get(key)
    if resource is None:
        user = side["users"][row["user_id"]]
        role = side["roles"][row["role_id"]]
        resource = people[key] = Resource(
            id=user["id"],
            name=user["full_name"],
            role=our_role(role["name"]),
            country=user["country"],
            # Kantata only says a user is External, not whose: the classification stands in
            subcontractor_vendor=None if user["classification"] == "Internal" else "External",
        )
    entry = TimeEntry(
        id=row["id"],
        project_id=row["workspace_id"],
        resource_id=resource.id,
        work_date=date.fromisoformat(row["date_performed"]),
        minutes=row["time_in_minutes"],
        billable=row["billable"],
        approved_at=approved_at,
    )
    return entry, resource


def expense_of(row: Mapping[str, Any], approved_at: datetime) -> Expense:
    """A Kantata expense as the core's, in the currency it was paid in."""
    return Expense(
        id=row["id"],
        project_id=row["workspace_id"],
        resource_id=row["user_id"],
        day=date.fromisoformat(row["date"]),
        category=row["category"],
        currency=row["currency"],
        amount=Decimal(row["amount_in_cents"]).scaleb(-minor_unit(row["currency"])),
        billable=row["is_billable"],
        has_receipt=row["receipt_id"] is not None,
        approved_at=approved_at,
    )
