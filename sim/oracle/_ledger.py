"""The ERP's books must add up: each invoice's totals are the sums of its lines, what is still
owed on it is its gross less what was applied to it, and per customer what is owed is
invoices - credits - payments."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sim.oracle._items import OracleReport, Violation

__all__ = ["check_customer_balances", "check_ledger"]


def check_customer_balances(
    invoices: Iterable[dict[str, Any]],
    credit_memos: Iterable[dict[str, Any]],
    payments: Iterable[dict[str, Any]],
    report: OracleReport,
) -> None:
    """Per customer: what the ERP says is owed (open invoice amounts less credit notes on
    account) equals invoices - credits - payments, from the documents themselves."""
    owed: dict[str, Decimal] = {}
    books: dict[str, Decimal] = {}

    def add(table: dict[str, Decimal], customer: str, amount: Decimal) -> None:
        table[customer] = table.get(customer, Decimal(0)) + amount

    for inv in invoices:
        if inv["status"] in ("Open", "Paid"):
            add(owed, inv["customerId"], Decimal(inv["remainingAmount"]))
            add(books, inv["customerId"], Decimal(inv["totalAmountIncludingTax"]))
    for memo in credit_memos:
        if memo["status"] != "Draft":
            add(books, memo["customerId"], -Decimal(memo["totalAmountIncludingTax"]))
            if not memo.get("invoiceId"):
                add(owed, memo["customerId"], -Decimal(memo["totalAmountIncludingTax"]))
    for payment in payments:
        if payment["status"] == "Posted":
            add(books, payment["customerId"], -Decimal(payment["amount"]))
    for customer in sorted(set(owed) | set(books)):
        if owed.get(customer, Decimal(0)) != books.get(customer, Decimal(0)):
            report.violations.append(
                Violation(
                    "receivables",
                    f"customer:{customer}",
                    f"the ERP shows {owed.get(customer, 0)} owed; invoices - credits - "
                    f"payments = {books.get(customer, 0)}",
                )
            )


def check_ledger(
    invoices: Iterable[dict[str, Any]],
    report: OracleReport,
    applied: dict[str, Decimal] | None = None,
    credit_memos: Iterable[dict[str, Any]] | None = None,
    payments: Iterable[dict[str, Any]] | None = None,
) -> None:
    """Each invoice's and credit note's totals are the sums of its lines (net, tax, gross);
    what is still owed is gross minus what was applied to it (``applied``: invoice id ->
    posted credit memos plus posted payments, read from the ERP's own records of them); the
    invoice's paid and credited amounts are those payments and credit notes (when they are
    given), and it is 'Paid' exactly when nothing remains."""
    memos = [m for m in credit_memos or () if m["status"] != "Draft"]
    for memo in memos:
        _totals(memo, memo["salesCreditMemoLines"], report)
    paid_by: dict[str, Decimal] = {}
    for payment in payments or ():
        if payment["status"] == "Posted":
            target = payment["appliesToInvoiceId"]
            paid_by[target] = paid_by.get(target, Decimal(0)) + Decimal(payment["amount"])
    credited_by: dict[str, Decimal] = {}
    for memo in memos:
        if memo.get("invoiceId"):
            total = Decimal(memo["totalAmountIncludingTax"])
            credited_by[memo["invoiceId"]] = credited_by.get(memo["invoiceId"], Decimal(0)) + total
    for inv in invoices:
        if inv["status"] not in ("Open", "Paid"):
            continue
        given = (("paidAmount", paid_by, payments), ("creditedAmount", credited_by, credit_memos))
        for key, table, source in given:
            if (
                source is not None
                and key in inv
                and Decimal(inv[key]) != table.get(inv["id"], Decimal(0))
            ):
                report.violations.append(
                    Violation(
                        "receivables",
                        inv["number"],
                        f"{key} {inv[key]}, the ERP's records give {table.get(inv['id'], 0)}",
                    )
                )
        settled = Decimal(inv["remainingAmount"]) == 0
        if (inv["status"] == "Paid") != settled:
            report.violations.append(
                Violation(
                    "receivables",
                    inv["number"],
                    f"status {inv['status']} with {inv['remainingAmount']} remaining",
                )
            )
    for inv in invoices:
        if inv["status"] not in ("Open", "Paid"):
            continue
        net, tax = _totals(inv, inv["salesInvoiceLines"], report)
        paid = (applied or {}).get(inv["id"], Decimal(0))
        due = net + tax - paid
        if Decimal(inv["remainingAmount"]) != due:
            report.violations.append(
                Violation(
                    "receivables",
                    inv["number"],
                    f"remaining {inv['remainingAmount']} but invoiced - credited - paid = {due}",
                )
            )


def _totals(
    doc: dict[str, Any], rows: list[dict[str, Any]], report: OracleReport
) -> tuple[Decimal, Decimal]:
    """(net, tax) of the lines; a violation when the document's totals say otherwise."""
    what = "credit note" if "salesCreditMemoLines" in doc else "invoice"
    net = sum((Decimal(x["amountExcludingTax"]) for x in rows), Decimal(0))
    tax = sum((Decimal(x.get("totalTaxAmount", 0)) for x in rows), Decimal(0))
    header = (
        Decimal(doc["totalAmountExcludingTax"]),
        Decimal(doc.get("totalTaxAmount", 0)),
        Decimal(doc["totalAmountIncludingTax"]),
    )
    if header != (net, tax, net + tax):
        report.violations.append(
            Violation(
                "invoice_totals",
                doc["number"],
                f"lines give net {net}, tax {tax}, gross {net + tax}; the {what} says "
                f"{header[0]}, {header[1]}, {header[2]}",
            )
        )
    return net, tax
