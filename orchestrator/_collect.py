"""Collection flows: approved work, billable milestones and approved expenses become
billable items in the ledger, or exceptions with a reason when they cannot be billed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from orchestrator._ledger import BillingLedger, Item
from orchestrator.context import CoreContext
from orchestrator.model import Expense, InvoiceLine, Resource, TimeEntry
from orchestrator.pricing import (
    ExpensePrice,
    FixedPrice,
    MilestonePrice,
    PricingError,
    TimePrice,
    price_time,
    source_id,
)
from orchestrator.runtime import Flow

__all__ = ["Collection", "source_id_of_breach"]


def source_id_of_breach(breach_id: str) -> str:
    """The audit-trail id of a missed service level, as its credit line carries it."""
    return f"clm:breach:{breach_id}"


class Collection:
    """Turns the PSA's and the CLM's finished work into billable items of the ledger."""

    def __init__(self, ctx: CoreContext) -> None:
        self.ctx = ctx
        self.state = ctx.state
        self._counts: dict[str, int] | None = None  # collected records by work, once asked

    def _mark_collected(self, work: str, psa_id: str) -> None:
        key = f"{work}:{psa_id}"
        if key not in self.state.collected:
            # counted before the key is stored: a (restarted) core's first count is taken from
            # the store, and must not include the key it is about to add once more (counted
            # twice, one submission whose webhook was dropped would hide behind it for good)
            counts = self._collected_counts()
            self.state.collected[key] = None
            counts[work] = counts.get(work, 0) + 1

    def collected_count(self, work: str) -> int:
        """How many of the PSA's ``work`` records the core collected: kept as they are
        collected (the daily reconciliation compares it with the PSA's count), counted once
        from the store when a (restarted) core first asks."""
        return self._collected_counts().get(work, 0)

    def _collected_counts(self) -> dict[str, int]:
        if self._counts is None:
            self._counts = {}
            for key in self.state.collected:
                work = key.split(":", 1)[0]
                self._counts[work] = self._counts.get(work, 0) + 1
        return self._counts

    def collect_time(self, submission_id: str) -> Flow[None]:
        """Approved time becomes priced, pending billable items."""
        entries = yield from self.ctx.psa.submitted_time(submission_id)
        for entry, resource in entries:
            self._add_time(entry, resource)
        if all(e.project_id in self.state.by_workspace for e, _ in entries if e.billable):
            # collected; else the reconciliation comes back once the project is known
            self._mark_collected("timesheet", submission_id)

    def _add_time(self, entry: TimeEntry, resource: Resource) -> None:
        if not entry.billable:
            return
        engagement = self.state.by_workspace.get(entry.project_id)
        key = source_id("time_entry", entry.id)
        if engagement is None:
            self.ctx.raise_exception(
                "unknown_project", key, f"workspace {entry.project_id} is not known"
            )
            return
        if self.state.ledger.knows(key):
            return
        try:
            price_time(entry, resource, engagement.contract)
        except PricingError as exc:
            self.ctx.raise_exception("unpriced", key, str(exc))
            return
        item = Item(
            key,
            engagement,
            entry.work_date,
            "time_entry",
            entry.id,
            TimePrice(entry, resource),
        )
        if resource.subcontractor_vendor is not None:
            item.needs_approval = (resource.id, f"{entry.work_date:%Y-%m}")
        self.state.ledger.add(item)

    def milestones_waited(self) -> list[str]:
        """The Kantata milestones the core made and has not collected: what the polling asks
        Kantata about (a few per open contract, never the billed history)."""
        collected = self.state.collected
        return [i for i in self.state.milestones_waited if f"milestone:{i}" not in collected]

    def collect_due_milestones(self, story_id: str) -> Flow[None]:
        """A task (``story_id``) was completed: Kantata's milestones have no event of their own
        when their task's completion makes them invoiceable, so ask which of the milestones
        the core waits on are billable now (one call per 200 waited on) and collect those."""
        waited = self.milestones_waited()
        due = (yield from self.ctx.psa.billable_milestones(waited)) if waited else []
        for psa_id in due:
            yield from self.collect_milestone(psa_id)

    def collect_milestone(self, psa_id: str) -> Flow[None]:
        record = yield from self.ctx.psa.milestone(psa_id)
        key = source_id("billing_milestone", psa_id)
        engagement = self.state.by_workspace.get(record["workspace_id"])
        if engagement is None:
            self.ctx.raise_exception(
                "unknown_project", key, f"workspace {record['workspace_id']} unknown"
            )
            return
        billable_on = record["billable_on"]
        if billable_on is None or self.state.ledger.knows(key):
            return  # not billable yet (its task is open): Kantata says so when it is
        self._mark_collected("milestone", psa_id)
        if psa_id in self.state.milestones_waited:
            del self.state.milestones_waited[psa_id]
        by_id = {m.id: m for m in engagement.contract.milestones}
        milestone = by_id.get(record["external_reference"])
        if milestone is None:
            self.ctx.raise_exception("unpriced", key, "milestone is not in the contract")
            return
        self.state.ledger.add(
            Item(
                key,
                engagement,
                billable_on,
                "billing_milestone",
                psa_id,
                MilestonePrice(psa_id, milestone),
            )
        )

    def collect_expenses(self, report_id: str) -> Flow[None]:
        """Approved expenses: billable by the contract's policy, converted at the ERP's rate;
        held with a reason when a receipt is due and missing."""
        expenses = yield from self.ctx.psa.reported_expenses(report_id)
        for expense in expenses:
            yield from self._add_expense(expense)
        known = self.state.by_workspace
        if all(e.project_id in known for e in expenses if e.category != "subcontractor_cost"):
            self._mark_collected("expenses", report_id)

    def _add_expense(self, expense: Expense) -> Flow[None]:
        key = source_id("expense", expense.id)
        if expense.category == "subcontractor_cost":  # the firm approved a vendor's bill
            self.state.subcontractor_approved[(expense.resource_id, f"{expense.day:%Y-%m}")] = None
            return
        engagement = self.state.by_workspace.get(expense.project_id)
        if engagement is None:
            self.ctx.raise_exception(
                "unknown_project", key, f"workspace {expense.project_id} is not known"
            )
            return
        policy = engagement.contract.expense_policy
        if (
            not expense.billable
            or policy is None
            or expense.category not in policy.billable_categories
        ):
            self.ctx.rt.record("core.expense_not_billable", item=key, category=expense.category)
            return
        ledger: BillingLedger = self.state.ledger
        if ledger.knows(key):
            return
        rate = yield from self.ctx.erp.exchange_rate(
            engagement.entity, expense.currency, expense.day
        )
        cost = expense.amount * rate
        if not expense.has_receipt and cost > policy.receipt_required_above:
            self.ctx.raise_exception(
                "missing_receipt",
                key,
                f"{expense.amount} {expense.currency} ({cost:.2f} {engagement.contract.currency})"
                f" without a receipt; the contract requires one above "
                f"{policy.receipt_required_above}",
            )
            return
        ledger.add(
            Item(
                key,
                engagement,
                expense.day,
                "expense",
                expense.id,
                ExpensePrice(expense, rate),
            )
        )

    def collect_breach(self, record_id: str, breach_id: str) -> Flow[None]:
        """A missed service level earns the client its credit, up to the month's cap; the
        credit is a negative line on the next invoice."""
        while record_id in self.state.setting_up:
            yield from self.ctx.rt.sleep(60)
        engagement = self.state.engagements.get(record_id)
        key = source_id_of_breach(breach_id)
        if engagement is None:
            self.ctx.raise_exception(
                "unknown_contract", key, f"contract record {record_id} is not set up"
            )
            return
        terms = engagement.contract.service_level
        breach = yield from self.ctx.clm.breach(record_id, breach_id)
        if terms is None or breach is None:
            self.ctx.raise_exception(
                "no_service_level", key, "breach on a contract without SLA terms"
            )
            return
        day = date.fromisoformat(breach["date"])
        month = (engagement.contract.id, f"{day:%Y-%m}")
        granted = self.state.credits_granted.get(month, Decimal(0))
        credit = min(terms.credit_per_breach, terms.monthly_cap - granted)
        if credit <= 0 or self.state.ledger.knows(key):
            self.ctx.rt.record("core.credit_capped", item=key, month=month[1])
            return
        self.state.credits_granted[month] = granted + credit
        version = engagement.contract.version_on(day) or engagement.contract.versions[0]
        line = InvoiceLine(
            description=f"Service credit: {breach['description']} on {day}",
            quantity=Decimal(1),
            unit_price=-credit,
            amount=-credit,
            source_ids=(key,),
            contract_version_id=version.id,
            kind="credit",
        )
        self.state.ledger.add(Item(key, engagement, day, "credit", breach_id, FixedPrice(line)))
