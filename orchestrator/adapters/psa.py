"""Kantata adapter: projects, rate cards and milestones out; approved time and invoiceable
milestones in. Kantata pages at most 200 records and side-loads related records by key.

A contract milestone goes to Kantata as a task (a story of type ``milestone``) and a billing
milestone ``upon_completion`` of that task: Kantata bills a milestone on its date or when its
task is completed, and has no client acceptance (vendor-specs kantata/mavenlink-billing-
milestones-api-openapi.yml, ``billing_type``, ``story_id``; developer.kantata.com/tag/Billing-
Milestones, consulted 2026-12-07). The firm's project manager completes the task when the
client accepts the deliverable; the core reads the task's ``state`` to know the milestone is
billable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from orchestrator._wire import call
from orchestrator.adapters._psa_read_ahead import ReadAhead, expense_of, time_of
from orchestrator.adapters._psa_read_ahead import our_role as our_role  # its old home
from orchestrator.model import (
    Contract,
    Expense,
    Milestone,
    RateCardVersion,
    Resource,
    TimeEntry,
)
from orchestrator.money import Money, minor_unit
from orchestrator.runtime import Flow, Runtime

API = "/api/v1"
PER_PAGE = "200"
SERVICE = "q2c"  # our name on the external references we leave on Kantata records


def _reference(model: str, key: str) -> dict[str, str]:
    """Kantata's ``external_reference`` on create: our key for the record it is made for."""
    return {"service_name": SERVICE, "service_model": model, "service_model_ref": key}


def _our_key(record: Mapping[str, Any], side: Mapping[str, Any]) -> str | None:
    """Our key on a Kantata record: the ``service_model_ref`` of its external reference of
    ours, from the side-loaded ``external_references``."""
    refs = side.get("external_references", {})
    for ref_id in record.get("external_reference_ids") or []:
        ref = refs.get(ref_id)
        if ref is not None and ref.get("service_name") == SERVICE:
            return str(ref["service_model_ref"])
    return None


@dataclass(frozen=True)
class RatesInPsa:
    """A workspace's rate card in Kantata: the card, its set, and per effective date (ISO) the
    card's version id and the role ids rated on it."""

    card_id: str | None
    set_id: str | None
    dated: dict[str, tuple[str, set[str]]]


def kantata_role(role: str, country: str) -> str:
    """The Kantata role a rate by role and country is kept on: Kantata has no location on a
    rate card role (developer.kantata.com, "Rate Card Role (Rate for a Role)", consulted
    2026-12-07), so the firm keeps one role per role and country, named "<role> (<country>)"."""
    return f"{role} ({country})"


def to_minor(amount: Decimal, currency: str) -> int:
    """Kantata's ``*_in_cents``: the amount in the currency's minor unit, exactly."""
    scaled = amount.scaleb(minor_unit(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} has more digits than the currency allows")
    return int(scaled)


class PsaAdapter:
    page_size = int(PER_PAGE)

    def __init__(self, runtime: Runtime, tenant: str) -> None:
        self._rt = runtime
        self._tenant = tenant
        # approved submissions whose entries were read ahead (``read_ahead``), until collected:
        # held in memory only (a restarted core reads them again), each handed out once
        self._ahead = ReadAhead(self._all, self.page_size)

    def read_ahead(self, submissions: Sequence[Mapping[str, Any]]) -> Flow[int]:
        """See ``ReadAhead.read_ahead``: approved submissions' entries, a page a call."""
        return self._ahead.read_ahead(submissions)

    def read_ahead_submissions(self, submission_ids: Sequence[str]) -> Flow[int]:
        return self._ahead.read_ahead_submissions(submission_ids)

    def read_ahead_expenses(self, reports: Sequence[Mapping[str, Any]]) -> Flow[int]:
        return self._ahead.read_ahead_expenses(reports)

    def _call(
        self, method: str, path: str, body: Any = None, params: Mapping[str, str] | None = None
    ) -> Flow[Any]:
        return (
            yield from call(
                self._rt, "psa", self._tenant, method, API + path, body=body, params=params
            )
        )

    def _all(self, path: str, params: Mapping[str, str]) -> Flow[tuple[list[Any], dict[str, Any]]]:
        """Every page of a listing: the records in order, and the side-loaded collections."""
        rows: list[Any] = []
        side: dict[str, Any] = {}
        number = 1
        while True:
            body = yield from self._call(
                "GET", path, params={**params, "page": str(number), "per_page": PER_PAGE}
            )
            kind = path.strip("/").split("/")[0]
            rows += [body[kind][ref["id"]] for ref in body["results"]]
            for name, records in body.items():
                if name not in (kind, "results", "count", "meta"):
                    side.setdefault(name, {}).update(records)
            if number >= body["meta"]["page_count"]:
                return rows, side
            number += 1

    def roles(self) -> Flow[dict[str, str]]:
        """Role name -> PSA role id."""
        rows, _ = yield from self._all("/roles", {})
        return {row["name"]: row["id"] for row in rows}

    def create_workspace(self, contract: Contract, start: date) -> Flow[str]:
        """The contract's workspace: found by its reference if an earlier attempt made it
        (its answer lost, or the core restarted), created otherwise."""
        rows, side = yield from self._all("/workspaces", {"include": "external_references"})
        for row in rows:
            if _our_key(row, side) == contract.reference:
                return str(row["id"])
        body = yield from self._call(
            "POST",
            "/workspaces",
            {
                "workspace": {
                    "title": f"{contract.reference} {contract.customer_name}",
                    "currency": contract.currency,
                    "start_date": start.isoformat(),
                    "external_reference": _reference("Contract", contract.reference),
                    "status": "In Planning",
                }
            },
        )
        return str(body["results"][0]["id"])

    def rates_in_psa(self, workspace_id: str) -> Flow[RatesInPsa]:
        """The workspace's rate card (``rate_card_id``) and, per effective date, the version
        it has there and the roles already rated on it (so that a retried or resumed set-up
        adds only what is missing)."""
        body = yield from self._call("GET", f"/workspaces/{workspace_id}")
        card_id = body["workspaces"][workspace_id].get("rate_card_id")
        if card_id is None:
            return RatesInPsa(None, None, {})
        card = yield from self._call("GET", f"/rate_cards/{card_id}")
        set_id = str(card["rate_cards"][str(card_id)]["rate_card_set_id"])
        rows, side = yield from self._all(
            "/rate_card_versions",
            {"rate_card_id": str(card_id), "include": "rate_card_set_version,rate_card_roles"},
        )
        dated = {}
        for row in rows:
            day = side["rate_card_set_versions"][row["rate_card_set_version_id"]]["effective_date"]
            rated = side.get("rate_card_roles", {})
            dated[day] = (
                str(row["id"]),
                {str(rated[i]["role_id"]) for i in row["rate_card_role_ids"]},
            )
        return RatesInPsa(str(card_id), set_id, dated)

    def add_rate_card(self, workspace_id: str, contract: Contract) -> Flow[RatesInPsa]:
        """A rate card set of the contract's own, its card in the contract currency, and the
        workspace pointed at that card (Kantata: a workspace bills by one rate card)."""
        made = yield from self._call(
            "POST", "/rate_card_sets", {"rate_card_set": {"title": contract.reference}}
        )
        set_id = str(made["results"][0]["id"])
        made = yield from self._call(
            "POST",
            "/rate_cards",
            {"rate_card": {"rate_card_set_id": int(set_id), "currency": contract.currency}},
        )
        card_id = str(made["results"][0]["id"])
        yield from self._call(
            "PUT", f"/workspaces/{workspace_id}", {"workspace": {"rate_card_id": int(card_id)}}
        )
        return RatesInPsa(card_id, set_id, {})

    def add_rate_card_version(self, rates: RatesInPsa, effective: date) -> Flow[str]:
        """A set version from ``effective``: Kantata makes the card's version in it."""
        made = yield from self._call(
            "POST",
            "/rate_card_set_versions",
            {
                "rate_card_set_version": {
                    "rate_card_set_id": int(str(rates.set_id)),
                    "effective_date": effective.isoformat(),
                }
            },
            params={"include": "rate_card_versions"},
        )
        versions = made["rate_card_versions"].values()
        return next(str(v["id"]) for v in versions if str(v["rate_card_id"]) == rates.card_id)

    def add_rates(
        self,
        card_version_id: str,
        card: RateCardVersion,
        role_ids: Mapping[str, str],
        rated: set[str],
    ) -> Flow[None]:
        """Each rate of ``card`` the card version lacks, in cents per hour, on the role of its
        role and country (Kantata keeps no location on a rate card role)."""
        for role, by_country in sorted(card.rates.items()):
            for country, rate in sorted(by_country.items()):
                role_id = role_ids[kantata_role(role, country)]
                if role_id in rated:
                    continue
                body = {
                    "rate_card_version_id": int(card_version_id),
                    "role_id": int(role_id),
                    "rate": to_minor(rate, card.currency),
                }
                yield from self._call("POST", "/rate_card_roles", {"rate_card_role": body})

    def milestones_in_psa(self, workspace_id: str) -> Flow[dict[str, str]]:
        """The workspace's billing milestones of ours: our key -> Kantata's id."""
        milestones, side = yield from self._all(
            "/billing_milestones", {"workspace_id": workspace_id, "include": "external_references"}
        )
        return {str(_our_key(m, side)): str(m["id"]) for m in milestones}

    def add_milestone(self, workspace_id: str, milestone: Milestone) -> Flow[str]:
        """The milestone's task, then its billing milestone, billed upon the task's completion;
        Kantata's id of the billing milestone. A task whose milestone was never made (an answer
        lost in between) stays an orphan task: it bills nothing."""
        made = yield from self._call(
            "POST",
            "/stories",
            {
                "story": {
                    "workspace_id": int(workspace_id),
                    "title": milestone.title,
                    "story_type": "milestone",
                    "due_date": milestone.due.isoformat(),
                }
            },
        )
        story_id = str(made["results"][0]["id"])
        body = yield from self._call(
            "POST",
            "/billing_milestones",
            {
                "billing_milestone": {
                    "workspace_id": int(workspace_id),
                    "title": milestone.title,
                    "amount_in_cents": to_minor(milestone.amount.amount, milestone.amount.currency),
                    "billing_type": "upon_completion",
                    "story_id": int(story_id),
                    "external_reference": _reference("Milestone", milestone.id),
                }
            },
        )
        return str(body["results"][0]["id"])

    def set_budget(self, workspace_id: str, budget: Money) -> Flow[None]:
        yield from self._call(
            "PUT",
            f"/workspaces/{workspace_id}",
            {"workspace": {"price_in_cents": to_minor(budget.amount, budget.currency)}},
        )

    def activate(self, workspace_id: str) -> Flow[None]:
        yield from self._call(
            "PUT", f"/workspaces/{workspace_id}", {"workspace": {"status": "In Progress"}}
        )

    def submitted_time(self, submission_id: str) -> Flow[list[tuple[TimeEntry, Resource]]]:
        """The time entries of an approved submission, with who worked them: those read ahead
        if they were (no call), else the submission and its entries (two calls)."""
        ahead = self._ahead.take_time(submission_id)
        if ahead is not None:
            return ahead
        body = yield from self._call("GET", f"/timesheet_submissions/{submission_id}")
        submission = body["timesheet_submissions"][submission_id]
        if submission["status"] != "approved":
            return []
        rows, side = yield from self._all(
            "/time_entries", {"with_timesheet_id": submission_id, "include": "user,role"}
        )
        approved_at = datetime.fromisoformat(submission["current_resolution_created_at_date"])
        people: dict[tuple[str, str], Resource] = {}
        return [time_of(row, side, approved_at, people) for row in rows]

    def reported_expenses(self, report_id: str) -> Flow[list[Expense]]:
        """The expenses of an approved expense report, in the currency each was paid in: those
        read ahead if they were (no call), else the report and its expenses (two calls)."""
        ahead = self._ahead.take_expenses(report_id)
        if ahead is not None:
            return ahead
        body = yield from self._call("GET", f"/expense_reports/{report_id}")
        report = body["expense_reports"][report_id]
        if report["status"] != "approved":
            return []
        rows, _ = yield from self._all("/expenses", {"with_expense_report_id": report_id})
        approved_at = datetime.fromisoformat(report["resolved_at"])
        return [expense_of(row, approved_at) for row in rows]

    def milestone(self, milestone_id: str) -> Flow[dict[str, Any]]:
        """The milestone record, with our key for it (its external reference's
        ``service_model_ref``, the contract milestone's id) as ``external_reference`` and the
        day it became billable as ``billable_on`` (None: not billable yet)."""
        body = yield from self._call(
            "GET",
            f"/billing_milestones/{milestone_id}",
            params={"include": "external_references,story"},
        )
        record: dict[str, Any] = body["billing_milestones"][milestone_id]
        return {
            **record,
            "external_reference": _our_key(record, body),
            "billable_on": self._billable_on(record, body),
        }

    def billable_milestones(self, milestone_ids: list[str]) -> Flow[list[str]]:
        """Which of ``milestone_ids`` Kantata says are billable now: Kantata's ``only``, 200 a
        call, their tasks side-loaded (one call per 200 milestones waited on, not per day of
        history)."""
        billable: list[str] = []
        for start in range(0, len(milestone_ids), self.page_size):
            chunk = milestone_ids[start : start + self.page_size]
            rows, side = yield from self._all(
                "/billing_milestones", {"only": ",".join(chunk), "include": "story"}
            )
            billable += [str(m["id"]) for m in rows if self._billable_on(m, side) is not None]
        return billable

    def _billable_on(self, record: Mapping[str, Any], side: Mapping[str, Any]) -> date | None:
        """When Kantata made the milestone billable: ``upon_completion``, when its task was
        completed (the task's ``updated_at``: Kantata's story has no completion time, and the
        firm leaves a completed milestone task alone); ``fixed_date``, its ``date_to_invoice``
        once that day has come."""
        if record["billing_type"] == "upon_completion":
            story = side.get("stories", {}).get(str(record["story_id"]))
            if story is None or story["state"] != "completed":
                return None
            return datetime.fromisoformat(story["updated_at"]).date()
        due = record.get("date_to_invoice")
        if due is None or date.fromisoformat(due) > self._rt.now().date():
            return None
        return date.fromisoformat(due)

    def record_invoice(
        self,
        workspace_id: str,
        invoice_date: date,
        number: str,
        entry_ids: list[str],
        milestone_ids: list[str],
        expense_ids: list[str],
    ) -> Flow[None]:
        """Mark the billed items INVOICED in the PSA, so nobody bills them twice (once: an
        earlier try whose answer was lost, or a restarted core's, may have done it)."""
        done, side = yield from self._all(
            "/invoices", {"workspace_id": workspace_id, "include": "external_references"}
        )
        if any(_our_key(row, side) == number for row in done):
            return
        yield from self._call(
            "POST",
            "/invoices",
            {
                "invoice": {
                    "workspace_id": int(workspace_id),
                    "invoice_date": invoice_date.isoformat(),
                    "external_reference": _reference("SalesInvoice", number),
                    "time_entry_ids": entry_ids,
                    "billing_milestone_ids": milestone_ids,
                    "expense_ids": expense_ids,
                }
            },
        )

    def updated(
        self, kind: str, after: datetime, before: datetime, params: Mapping[str, str]
    ) -> Flow[list[dict[str, Any]]]:
        """The ``kind`` records (time entries, timesheet submissions, expenses) updated after
        ``after`` and before ``before`` that match ``params``: Kantata's ``updated_after`` and
        ``updated_before`` filters, every page."""
        rows, _ = yield from self._all(
            f"/{kind}",
            {**params, "updated_after": after.isoformat(), "updated_before": before.isoformat()},
        )
        return rows

    def count(self, kind: str, params: Mapping[str, str]) -> Flow[int]:
        """How many ``kind`` records match, from one one-record page."""
        body = yield from self._call("GET", f"/{kind}", params={**params, "per_page": "1"})
        return int(body["meta"]["count"])

    def page_of_ids(
        self, kind: str, params: Mapping[str, str], number: int
    ) -> Flow[tuple[list[str], int]]:
        """Ids on page ``number`` (of ``PER_PAGE``) of the matching ``kind`` records, and how
        many match now: one call, whatever the listing's length."""
        body = yield from self._call(
            "GET", f"/{kind}", params={**params, "page": str(number), "per_page": PER_PAGE}
        )
        return [str(ref["id"]) for ref in body["results"]], int(body["meta"]["count"])

    def subscribed_events(
        self, after: datetime, event_types: tuple[str, ...]
    ) -> Flow[tuple[list[dict[str, Any]], dict[str, Any]]]:
        """Kantata's Subscribed Events of ``event_types`` created after ``after``, oldest
        first, every page, with their subjects side-loaded (``include=subject``): the change
        feed (Kantata pushes no webhooks)."""
        return (
            yield from self._all(
                "/subscribed_events",
                {"created_after": after.isoformat(), "event_types": ",".join(event_types),
                 "include": "subject"},
            )
        )  # fmt: skip
