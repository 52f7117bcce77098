"""Kantata billing milestones and invoices, for the PSA mock.

A milestone goes planned, completed, accepted (the PSA's own UI moves it; acceptance fires
``billing_milestone.accepted``); an invoice created over HTTP marks its time entries, expenses
and accepted milestones invoiced, all or nothing: one item that cannot be invoiced (already
invoiced, not approved or accepted, of another workspace, listed twice) refuses the whole
invoice with a 422 naming each item.

Its own room because invoicing is the one PSA write that spans three kinds of record at once,
and its refusals are what keeps a billable item from being invoiced twice or lost; the rest of
the PSA's writes stay in ``mocks.psa``.
"""

from __future__ import annotations

from typing import Any

from mocks._http import Call, Problem, Reply
from mocks._psa_models import BillingMilestoneIn, InvoiceIn
from mocks._psa_queries import repeats
from mocks._state import iso, plain

__all__ = ["BillingMixin"]


class BillingMixin:
    """Milestone states (in process) and milestone and invoice creation over HTTP."""

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

    def complete_milestone(self, tenant: str, milestone_id: str) -> None:
        milestone = self.tables.get(tenant, "billing_milestones", milestone_id)
        if milestone["state"] != "planned":
            raise ValueError(f"milestone {milestone_id} is {milestone['state']}, not planned")
        now = iso(self.clock())
        milestone.update(state="completed", completed_at=now, updated_at=now)
        self._changed(tenant, "billing_milestones", milestone)

    def accept_milestone(self, tenant: str, milestone_id: str) -> None:
        milestone = self.tables.get(tenant, "billing_milestones", milestone_id)
        if milestone["state"] != "completed":
            raise ValueError(f"milestone {milestone_id} is {milestone['state']}, not completed")
        now = iso(self.clock())
        milestone.update(state="accepted", accepted_at=now, updated_at=now)
        self._changed(tenant, "billing_milestones", milestone)
        self._notify(tenant, "billing_milestone.accepted", milestone_id, now)

    def _create_milestone(self, call: Call) -> Reply:
        data = call.parse(BillingMilestoneIn, "billing_milestone")
        workspace_id = str(data.workspace_id)
        self.tables.get(call.tenant, "workspaces", workspace_id, "workspace")
        fields = plain(data)
        given = fields.pop("external_reference")
        milestone = self._new(
            call.tenant,
            "billing_milestones",
            {
                **fields,
                "workspace_id": workspace_id,
                "external_reference_ids": [],
                "state": "planned",
                "completed_at": None,
                "accepted_at": None,
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
            + ([] if m["state"] == "accepted" else ["not accepted"])
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
