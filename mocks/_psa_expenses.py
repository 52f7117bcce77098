"""Kantata expenses and expense reports, for the PSA mock.

An expense is recorded in the currency it was paid in (``currency`` + ``amount_in_cents`` in
that currency's minor unit), with or without a receipt. Consultants group expenses into an
expense report; approving the report approves its expenses; making, approving and rejecting a
report are Subscribed Events (``mocks._psa_events``). Converting into the contract's currency
is not the PSA's job here: the ERP publishes the rates.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from mocks._state import iso

__all__ = ["ExpensesMixin"]


class ExpensesMixin:
    """In-process expense operations (the PSA's own UI, as consultants and managers use it)."""

    tables: Any
    clock: Any

    def _new(self, tenant: str, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _notify(self, tenant: str, event: str, subject_id: str, at: str) -> None:
        raise NotImplementedError

    def _touched(self, tenant: str, kind: str, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def log_expense(
        self,
        tenant: str,
        user_id: str,
        workspace_id: str,
        day: date,
        category: str,
        amount_in_cents: int,
        currency: str,
        notes: str,
        receipt: bool,
        billable: bool = True,
    ) -> str:
        self.tables.get(tenant, "users", user_id, "user")
        self.tables.get(tenant, "workspaces", workspace_id, "workspace")
        if amount_in_cents <= 0:
            raise ValueError("an expense amount must be positive")
        n = self.tables.next_number(tenant, "receipts")
        return self._new(tenant, "expenses", {
            "workspace_id": workspace_id, "user_id": user_id, "date": day.isoformat(),
            "category": category, "amount_in_cents": amount_in_cents, "currency": currency,
            "notes": notes, "is_billable": billable, "receipt_id": str(n) if receipt else None,
            "active_submission_id": None, "is_invoiced": False,
        })["id"]  # fmt: skip

    def submit_expense_report(self, tenant: str, user_id: str, expense_ids: list[str]) -> str:
        expenses = [self.tables.get(tenant, "expenses", i, "expense") for i in expense_ids]
        if len(set(expense_ids)) != len(expense_ids):
            raise ValueError("an expense report cannot list the same expense twice")
        for expense in expenses:
            if expense["active_submission_id"] is not None or expense["is_invoiced"]:
                raise ValueError(f"expense {expense['id']} is already reported or invoiced")
        report = self._new(tenant, "expense_reports", {
            "user_id": user_id, "status": "pending", "expense_ids": list(expense_ids),
            "submitted_at": iso(self.clock()), "resolved_at": None,
        })  # fmt: skip
        for expense in expenses:
            expense.update(active_submission_id=report["id"])
        self._notify(tenant, "expense_report.created", report["id"], report["created_at"])
        return str(report["id"])

    def resolve_expense_report(self, tenant: str, report_id: str, approve: bool) -> None:
        report = self.tables.get(tenant, "expense_reports", report_id, "expense report")
        if report["status"] != "pending":
            raise ValueError(f"expense report {report_id} is already {report['status']}")
        now = iso(self.clock())
        report.update(status="approved" if approve else "rejected", resolved_at=now,
                      updated_at=now)  # fmt: skip
        self.tables.table(tenant, "expense_reports").reindex(report_id)
        for expense_id in report["expense_ids"]:
            expense = self.tables.get(tenant, "expenses", expense_id)
            if approve:
                expense.update(updated_at=now)
            else:
                expense.update(active_submission_id=None, updated_at=now)
            self._touched(tenant, "expenses", expense)
        decision = "approved" if approve else "rejected"
        self._notify(tenant, f"expense_report.{decision}", report_id, now)
