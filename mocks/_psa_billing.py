"""Kantata billing milestones, their tasks (stories) and invoices, for the PSA mock.

Kantata's billing milestone has no state of its own and no client acceptance: it is
invoiceable by its ``billing_type``, ``fixed_date`` from its ``date_to_invoice``, or
``upon_completion`` once the task (``story_id``, a Kantata story) it is tied to is completed
(vendor-specs kantata/mavenlink-billing-milestones-api-openapi.yml, ``BillingMilestone``
``billing_type``, ``date_to_invoice``, ``story_id`` and ``Story`` ``state``: ``not started``,
``started``, ``needs info``, ``completed``; developer.kantata.com/tag/Billing-Milestones and
developer.kantata.com/kantata/specification/Stories; both consulted 2026-12-07). Who completes
the task, and why (the client accepted the deliverable), is the firm's business, not
Kantata's: the simulated project manager completes it in Kantata's own UI
(``complete_story``), and each of the task's milestones becomes invoiceable then.

An invoice created over HTTP marks its time entries, expenses and milestones invoiced, all or
nothing: one item that cannot be invoiced (already invoiced, not approved, a milestone not yet
invoiceable, of another workspace, listed twice) refuses the whole invoice with Kantata's 422
validation errors, one per item. Kantata publishes no wording for a milestone invoiced before
its date or its task: the message is the sandbox's.

Its own room because invoicing is the one PSA write that spans three kinds of record at once,
and its refusals are what keeps a billable item from being invoiced twice or lost; the rest of
the PSA's writes stay in ``mocks.psa``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from mocks._http import Call, Problem, Reply
from mocks._psa_errors import KantataError
from mocks._psa_models import BillingMilestoneIn, InvoiceIn, StoryIn
from mocks._psa_queries import repeats
from mocks._state import iso, plain

__all__ = ["BillingMixin"]

COMPLETED = "completed"  # a story's finished ``state`` (Kantata's ``Story.state``)


class BillingMixin:
    """Tasks (stories), milestones and invoices: created over HTTP, tasks completed in process."""

    tables: Any
    clock: Any
    invoices_of: dict[tuple[str, str], list[str]]

    def _new(self, tenant: str, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _envelope(self, call: Call, kind: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        raise NotImplementedError

    def _refer(self, tenant: str, kind: str, record: dict[str, Any], given: Any) -> None:
        raise NotImplementedError

    def _changed(self, tenant: str, kind: str, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def _notify(self, tenant: str, event: str, subject_id: str, at: str) -> None:
        raise NotImplementedError

    def approved(self, tenant: str, kind: str, row: dict[str, Any]) -> bool:
        raise NotImplementedError

    def complete_story(self, tenant: str, story_id: str) -> None:
        """The project manager marks a task completed in Kantata's UI: each of its billing
        milestones (``upon_completion``) becomes invoiceable now. The change Kantata tracks is
        the task's (a ``story:updated`` Subscribed Event): the milestones themselves do not
        change, so they generate none."""
        story = self.tables.get(tenant, "stories", story_id, "story")
        if story["state"] == COMPLETED:
            raise ValueError(f"story {story_id} is already completed")
        now = iso(self.clock())
        story.update(state=COMPLETED, status=COMPLETED, updated_at=now)
        self._notify(tenant, "story.completed", story_id, now)

    def invoiceable(self, tenant: str, milestone: dict[str, Any]) -> bool:
        """Whether Kantata would put ``milestone`` on an invoice now (invoiced or not)."""
        if milestone["billing_type"] == "upon_completion":
            story = self.tables.table(tenant, "stories").get(str(milestone["story_id"]))
            return story is not None and story["state"] == COMPLETED
        due = milestone["date_to_invoice"]
        return due is not None and date.fromisoformat(due) <= self.clock().date()

    def _create_story(self, call: Call) -> Reply:
        data = plain(call.parse(StoryIn, "story"))
        workspace_id = str(data.pop("workspace_id"))
        self.tables.get(call.tenant, "workspaces", workspace_id, "workspace")
        story = self._new(call.tenant, "stories", {
            **data, "workspace_id": workspace_id, "state": "not started",
            "status": "not started",
        })  # fmt: skip
        return Reply(201, self._envelope(call, "stories", [story]))

    def _create_milestone(self, call: Call) -> Reply:
        data = call.parse(BillingMilestoneIn, "billing_milestone")
        workspace_id = str(data.workspace_id)
        workspace = self.tables.get(call.tenant, "workspaces", workspace_id, "workspace")
        fields = plain(data)
        given = fields.pop("external_reference")
        errors = []
        if data.billing_type == "fixed_date" and data.date_to_invoice is None:
            errors.append(("date_to_invoice", "is required for a fixed_date milestone"))
        if data.billing_type == "upon_completion" and data.story_id is None:
            errors.append(("story_id", "is required when billing_type is upon_completion"))
        if data.story_id is not None:
            story = self.tables.get(call.tenant, "stories", str(data.story_id), "story")
            fields["story_id"] = story["id"]
            if story["workspace_id"] != workspace_id:
                errors.append(("story_id", "names a task of another workspace"))
        if errors:
            raise KantataError(422, [
                {"type": "validation", "message": f"{name} {why}",
                 "field": f"billing_milestone.{name}"} for name, why in errors
            ])  # fmt: skip
        milestone = self._new(
            call.tenant,
            "billing_milestones",
            {
                **fields,
                "workspace_id": workspace_id,
                "currency": workspace["currency"],
                "external_reference_ids": [],
                "invoice_id": None,
            },
        )
        self._refer(call.tenant, "billing_milestones", milestone, given)
        return Reply(201, self._envelope(call, "billing_milestones", [milestone]))

    def _create_invoice(self, call: Call) -> Reply:
        """Record an invoice and mark its entries and milestones INVOICED, all or nothing."""
        data = call.parse(InvoiceIn, "invoice")
        tenant, workspace_id = call.tenant, str(data.workspace_id)
        self.tables.get(tenant, "workspaces", workspace_id, "workspace")
        entries = [
            self.tables.get(tenant, "time_entries", i, "time entry") for i in data.time_entry_ids
        ]
        milestones = [
            self.tables.get(tenant, "billing_milestones", i, "billing milestone")
            for i in data.billing_milestone_ids
        ]
        expenses = [self.tables.get(tenant, "expenses", i, "expense") for i in data.expense_ids]
        errors = [
            {"field": f"invoice.{name}[{k}]", "message": "listed twice"}
            for name, ids in (
                ("time_entry_ids", data.time_entry_ids),
                ("expense_ids", data.expense_ids),
                ("billing_milestone_ids", data.billing_milestone_ids),
            )
            for k in repeats(ids)
        ]
        errors += [
            {"field": f"invoice.time_entry_ids[{k}]", "message": why}
            for k, e in enumerate(entries)
            for why in self._uninvoiceable(tenant, "time_entries", e, data)
        ]
        errors += [
            {"field": f"invoice.expense_ids[{k}]", "message": why}
            for k, e in enumerate(expenses)
            for why in self._uninvoiceable(tenant, "expenses", e, data)
        ]
        errors += [
            {"field": f"invoice.billing_milestone_ids[{k}]", "message": why}
            for k, m in enumerate(milestones)
            for why in (["already invoiced"] if m["invoice_id"] else [])
            + ([] if self.invoiceable(tenant, m) else ["not invoiceable yet"])
            + ([] if m["workspace_id"] == workspace_id else ["belongs to another workspace"])
        ]
        if errors:
            raise Problem(
                422, "Unprocessable Entity", "some items cannot be invoiced", errors=errors
            )
        fields = plain(data)
        given = fields.pop("external_reference")
        del fields["workspace_id"]
        invoice = self._new(tenant, "invoices", {
            **fields, "workspace_ids": [workspace_id], "external_reference_ids": [],
        })  # fmt: skip
        self._refer(tenant, "invoices", invoice, given)
        self.invoices_of.setdefault((tenant, workspace_id), []).append(invoice["id"])
        for entry in entries:
            entry.update(invoice_id=invoice["id"], is_invoiced=True)
        for expense in expenses:
            expense.update(is_invoiced=True)  # Kantata's expense names no invoice
        for milestone in milestones:
            milestone.update(invoice_id=invoice["id"])
        return Reply(201, self._envelope(call, "invoices", [invoice]))

    def _uninvoiceable(
        self, tenant: str, kind: str, entry: dict[str, Any], data: InvoiceIn
    ) -> list[str]:
        reasons = []
        if entry["is_invoiced"]:
            reasons.append("already invoiced")
        if not self.approved(tenant, kind, entry):
            reasons.append("not approved")
        if entry["workspace_id"] != str(data.workspace_id):
            reasons.append("belongs to another workspace")
        return reasons
