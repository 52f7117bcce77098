"""Purchase orders: a client that requires one must find its PO number on every invoice.

Items billed before the PO arrived (or on an invoice without it) are mis-billed, even when
their amounts are right: the client will reject the invoice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sim.oracle._items import OracleReport, Violation
from sim.record.truth import GroundTruth
from sim.scenario.format import Scenario

__all__ = ["check_purchase_orders"]


def check_purchase_orders(
    s: Scenario, truth: GroundTruth, invoices: Iterable[dict[str, Any]], report: OracleReport
) -> None:
    verdicts = {v.source_id: v for v in report.items}
    contracts = {c.id: c for c in s.contracts}
    for inv in invoices:
        if inv["status"] not in ("Open", "Paid"):
            continue
        items = [verdicts[sid] for line in inv["salesInvoiceLines"]
                 for sid in line["sourceItemIds"] if sid in verdicts]  # fmt: skip
        if not items:
            continue
        contract = contracts[items[0].contract]
        if contract.purchase_order is None:
            continue
        received = truth.purchase_orders.get(contract.id)
        expected = received[0] if received else None
        if expected is not None and inv.get("externalDocumentNumber") == expected:
            continue
        report.violations.append(
            Violation(
                "holds_respected",
                inv["number"],
                f"posted with PO {inv.get('externalDocumentNumber')!r}; the client requires "
                f"{expected or 'a PO it has not sent'}",
            )
        )
        for item in items:
            if item.verdict == "correct":
                item.verdict, item.cause = "misbilled", "billed_without_po"
