"""Cash: every amount a client sent must be applied, in full, to the invoice it paid.

The oracle sums what clients actually sent per invoice (ground truth, recorded as they paid)
and what the ERP has posted against each invoice, and compares them invoice by invoice: money
applied to the wrong invoice shows up twice, as too little on one and too much on another.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sim.oracle._items import OracleReport, Violation
from sim.record.truth import GroundTruth
from sim.scenario.format import CURRENCIES

__all__ = ["check_cash"]


def check_cash(
    truth: GroundTruth,
    invoices: Iterable[dict[str, Any]],
    payments: Iterable[dict[str, Any]],
    report: OracleReport,
) -> None:
    sent: dict[str, Decimal] = {}
    for p in truth.payments:
        amount = Decimal(p.amount_minor).scaleb(-CURRENCIES.get(p.currency, 2))
        sent[p.invoice_id] = sent.get(p.invoice_id, Decimal(0)) + amount
    applied: dict[str, Decimal] = {}
    for posted in payments:
        if posted["status"] == "Posted":
            invoice = posted["appliesToInvoiceId"]
            applied[invoice] = applied.get(invoice, Decimal(0)) + Decimal(posted["amount"])
    numbers = {inv["id"]: inv["number"] for inv in invoices}
    for invoice_id in sorted(set(sent) | set(applied), key=lambda i: numbers.get(i, i)):
        got, put = sent.get(invoice_id, Decimal(0)), applied.get(invoice_id, Decimal(0))
        if got != put:
            report.violations.append(
                Violation(
                    "cash_application",
                    numbers.get(invoice_id, invoice_id),
                    f"the client sent {got}, the ERP applied {put}",
                )
            )
