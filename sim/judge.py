"""Judge a run from its record: the scenario, the ground truth, the books and the run's facts.

This is the "run folder -> oracle" leg of the data path. It takes plain data only, so a run
judged as it ends and the same run re-judged later from its folder (``q2c judge RUN``) give
the same ``metrics.json``, byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sim.metrics import cash_metrics, exception_figures, outage_recovery, summarise
from sim.oracle import (
    OracleReport,
    check,
    check_cash,
    check_customer_balances,
    check_documents,
    check_ledger,
    check_orphan_drafts,
    check_purchase_orders,
    check_tax,
    check_terms_propagated,
    excuse_vendor_holds,
)
from sim.record.books import Books, RunFacts
from sim.record.truth import GroundTruth
from sim.scenario.format import CURRENCIES, Scenario

__all__ = ["Judgement", "judge"]


@dataclass
class Judgement:
    metrics: dict[str, Any]
    report: OracleReport

    @property
    def ok(self) -> bool:
        return bool(self.metrics["invariants"]["ok"])


def judge(scenario: Scenario, truth: GroundTruth, books: Books, facts: RunFacts) -> Judgement:
    """Every invariant and every figure of ``metrics.json``, from the record alone."""
    s = scenario
    invoices = books.invoices
    records = {  # the SOW records: an amendment record is a child of its SOW's (parentId)
        r["properties"]["sowReference"]["value"]: r
        for r in books.clm_records
        if "parentId" not in r
    }
    report = check(
        s,
        truth,
        invoices,
        {ref: r["id"] for ref, r in records.items()},
        rates=books.rate,
        exceptions=books.exceptions,
        credit_memos=books.credit_memos,
    )
    check_orphan_drafts(invoices, report)
    excuse_vendor_holds(report, facts.vendor_holds_at_end)
    check_ledger(invoices, report, applied_to_invoices(books), books.credit_memos, books.payments)
    check_customer_balances(invoices, books.credit_memos, books.payments, report)
    check_tax(s, invoices, report, committed_tax(books), books.credit_memos)
    check_purchase_orders(s, truth, invoices, report)
    check_cash(truth, invoices, books.payments, report)
    check_documents(s, truth, invoices, books.credit_memos,
                    {ref: r["id"] for ref, r in records.items()}, report)  # fmt: skip
    check_terms_propagated(s, books.psa_workspaces, books.psa_rate_card_versions, report)
    end = datetime.fromisoformat(facts.run_until)
    calls = facts.api_calls
    billable = max(1, len(report.items))
    metrics: dict[str, Any] = {
        "scenario": s.name,
        "seed": facts.seed,
        "design": facts.design,
        "options": dict(sorted(facts.options.items())),
        "period": {
            "start": s.period.start.isoformat(),
            "end": s.period.end.isoformat(),
            "run_until": end.date().isoformat(),
        },
        "trace_sha256": facts.trace_sha256,
        **summarise(report, project_cycles(books, records)),
        "cash": cash_metrics(invoices, books.payments, s.period.start, end, len(truth.disputes)),
        "tax": tax_totals(invoices),
        "credit_notes": credit_note_totals(books.credit_memos),
        "fx": fx_totals(truth, report),
        "api_calls": calls,
        "api_errors": facts.api_errors,
        "contract_violations": facts.contract_violations,
        "vendors": facts.vendors,
        "faults_fired": facts.faults_fired,
        "calls_per_billable_item": round(sum(calls.values()) / billable, 4),
        "core": {"failed_flows": facts.failed_flows},
        **facts.resilience,
        "exceptions": exception_figures(books.exception_log, truth.billing_runs),
        "outage_recovery": outage_recovery(s, truth, report),
        "simulation": {
            "events": facts.events,
            "trace_lines": facts.trace_lines,
            "consultants": facts.consultants,
            "time_entries_logged": len(truth.time),
            "webhooks_delivered": facts.webhooks_delivered,
            "billing_runs": len(truth.billing_runs),
        },
    }
    return Judgement(metrics, report)


def project_cycles(books: Books, records: dict[str, dict[str, Any]]) -> list[float]:
    """Hours from each contract's execution to its PSA workspace going active."""
    workspaces: dict[str, dict[str, Any]] = {}
    for w in books.psa_workspaces:  # the first workspace made for a contract, as the PSA finds it
        workspaces.setdefault(w["external_reference"], w)
    cycles = []
    for ref, record in records.items():
        workspace = workspaces.get(ref)
        if workspace and workspace.get("activated_at"):
            executed = datetime.fromisoformat(record["versions"][0]["executedAt"])
            active = datetime.fromisoformat(workspace["activated_at"])
            cycles.append(round((active - executed) / timedelta(hours=1), 4))
    return cycles


def fx_totals(truth: GroundTruth, report: OracleReport) -> dict[str, Any]:
    """Expenses converted into each invoice currency: what was paid, in which currencies, and
    what it bills at the ERP's rates (including markup), from the oracle's verdicts."""
    paid = {e.source_id: e for e in truth.expenses.values()}
    totals: dict[str, dict[str, Any]] = {}
    for item in report.items:
        source = paid.get(item.source_id)
        if item.kind != "expense" or source is None or source.currency == item.currency:
            continue
        into = totals.setdefault(item.currency, {"billed": Decimal(0), "paid_in": {}})
        into["billed"] += item.expected
        spent = Decimal(source.amount_minor).scaleb(-CURRENCIES[source.currency])
        into["paid_in"][source.currency] = into["paid_in"].get(source.currency, Decimal(0)) + spent
    return {
        cur: {"billed": str(t["billed"]),
              "paid_in": {k: str(v) for k, v in sorted(t["paid_in"].items())}}
        for cur, t in sorted(totals.items())
    }  # fmt: skip


def credit_note_totals(memos: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Posted credit notes per currency, and how much of them sits on customers' accounts
    (issued against no invoice: owed back to the client, to refund or allocate)."""
    totals: dict[str, dict[str, Decimal]] = {}
    for memo in memos:
        if memo["status"] == "Draft":
            continue
        cur = totals.setdefault(memo["currencyCode"], {"issued": Decimal(0),
                                                       "on_account": Decimal(0)})  # fmt: skip
        cur["issued"] += Decimal(memo["totalAmountIncludingTax"])
        if not memo.get("invoiceId"):
            cur["on_account"] += Decimal(memo["totalAmountIncludingTax"])
    return {c: {k: str(v) for k, v in t.items()} for c, t in sorted(totals.items())}


def tax_totals(invoices: list[dict[str, Any]]) -> dict[str, str]:
    """Tax on posted invoices, per currency."""
    totals: dict[str, Decimal] = {}
    for inv in invoices:
        if inv["status"] in ("Open", "Paid"):
            cur = inv["currencyCode"]
            totals[cur] = totals.get(cur, Decimal(0)) + Decimal(inv["totalTaxAmount"])
    return {cur: str(total) for cur, total in sorted(totals.items())}


def applied_to_invoices(books: Books) -> dict[str, Decimal]:
    """Invoice id -> posted credit memos and payments applied to it, from the ERP's records."""
    applied: dict[str, Decimal] = {}
    for memo in books.credit_memos:
        if memo["status"] != "Draft" and memo.get("invoiceId"):
            total = Decimal(memo["totalAmountIncludingTax"])
            applied[memo["invoiceId"]] = applied.get(memo["invoiceId"], Decimal(0)) + total
    for payment in books.payments:
        if payment["status"] == "Posted":
            target = payment["appliesToInvoiceId"]
            applied[target] = applied.get(target, Decimal(0)) + Decimal(payment["amount"])
    return applied


def committed_tax(books: Books) -> dict[str, Decimal]:
    """Total tax per currency on the tax engine's committed documents."""
    totals: dict[str, Decimal] = {}
    for document in books.tax_documents:
        if document["status"] == "Committed":
            currency = document["currencyCode"]
            totals[currency] = totals.get(currency, Decimal(0)) + Decimal(document["totalTax"])
    return totals
