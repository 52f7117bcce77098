"""Run one scenario with one seed against one design, judge it, write the run folder.

The run folder holds ``metrics.json`` (deterministic), ``trace.jsonl`` (whose SHA-256 is in the
metrics), ``items.csv`` (the oracle's verdict per billable item) and ``command.txt`` (the one
line that reproduces the run).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from contracts.consumer import VENDORS
from sim.firm.actors import start_firm
from sim.firm.clients import start_clients
from sim.firm.expenses import start_expenses
from sim.firm.operations import Operations, resilience_metrics
from sim.firm.workforce import hire, start_workforce
from sim.metrics import cash_metrics, items_csv, summarise
from sim.oracle import (
    OracleReport,
    check,
    check_cash,
    check_customer_balances,
    check_ledger,
    check_orphan_drafts,
    check_purchase_orders,
    check_tax,
    check_terms_propagated,
    excuse_vendor_holds,
)
from sim.scenario.calendar import at
from sim.scenario.format import CURRENCIES, Scenario
from sim.scenario.loader import load_scenario
from sim.scenario.periods import billing_periods
from sim.world.world import World

__all__ = ["RunResult", "run", "run_scenario"]

Progress = Callable[[int, int], None]  # (simulated days done, days in all)


@dataclass
class RunResult:
    metrics: dict[str, Any]
    report: OracleReport
    world: World
    out: Path | None

    @property
    def ok(self) -> bool:
        return bool(self.metrics["invariants"]["ok"])


def run(
    scenario: Scenario,
    seed: int,
    design: str = "reference",
    options: dict[str, str] | None = None,
    progress: Progress | None = None,
    doctor: Callable[[World], None] | None = None,
) -> RunResult:
    """Simulate and judge; ``doctor`` may tamper with the world before judging (tests do)."""
    world = World(scenario, seed, design, dict(options or {}))
    try:  # the world's temporary store goes whatever happens
        people = hire(world)
        ops = start_firm(world)
        start_workforce(world, people)
        start_expenses(world, people)
        start_clients(world)
        runs = billing_periods(world.scenario, world.calendar)
        end = at(scenario.ends, 23, 59)
        if runs:
            end = max(end, at(runs[-1][1], 23, 59))
        days = (end - world.epoch).days + 1
        for day in range(1, days + 1):
            world.env.run(until=min(day * 86400.0, (end - world.epoch).total_seconds()))
            if progress is not None:
                progress(day, days)
        world.finish()
        if doctor is not None:
            doctor(world)
        return judge(world, ops, people_count=len(people))
    finally:
        world.close()


def judge(world: World, ops: Operations, people_count: int) -> RunResult:
    s = world.scenario
    invoices = world.erp.invoices(world.tenant)
    records = {
        r["properties"]["sowReference"]["value"]: r
        for r in world.clm.tables.all(world.tenant, "record")
    }
    report = check(
        s,
        world.truth,
        invoices,
        {ref: r["id"] for ref, r in records.items()},
        rates=world.erp.exchange_rate,
        exceptions=exception_queue(world),
        credit_memos=world.erp.credit_memos(world.tenant),
    )
    check_orphan_drafts(invoices, report)
    excuse_vendor_holds(report, vendor_broken_at_end(world))
    check_ledger(invoices, report, applied_to_invoices(world))
    check_customer_balances(
        invoices, world.erp.credit_memos(world.tenant), world.erp.payments(world.tenant), report
    )
    check_tax(s, invoices, report, committed_tax(world), world.erp.credit_memos(world.tenant))
    check_purchase_orders(s, world.truth, invoices, report)
    check_cash(world.truth, invoices, world.erp.payments(world.tenant), report)
    check_terms_propagated(
        s,
        list(world.psa.tables.all(world.tenant, "workspaces")),
        list(world.psa.tables.all(world.tenant, "rate_card_versions")),
        report,
    )
    project_cycles = []
    for ref, record in records.items():
        workspace = world.psa.workspace_by_reference(world.tenant, ref)
        if workspace and workspace.get("activated_at"):
            executed = datetime.fromisoformat(record["versions"][0]["executedAt"])
            active = datetime.fromisoformat(workspace["activated_at"])
            project_cycles.append(round((active - executed) / timedelta(hours=1), 4))
    calls = dict(sorted(world.runtime.calls.items()))
    billable = max(1, len(report.items))
    metrics: dict[str, Any] = {
        "scenario": s.name,
        "seed": world.seed,
        "design": world.design,
        "options": dict(sorted(world.options.items())),
        "period": {
            "start": s.period.start.isoformat(),
            "end": s.period.end.isoformat(),
            "run_until": world.now().date().isoformat(),
        },
        "trace_sha256": world.trace.sha256(),
        **summarise(report, project_cycles),
        "cash": cash_metrics(
            invoices,
            world.erp.payments(world.tenant),
            s.period.start,
            world.now(),
            len(world.truth.disputes),
        ),
        "tax": tax_totals(invoices),
        "credit_notes": credit_note_totals(world.erp.credit_memos(world.tenant)),
        "fx": fx_totals(world, report),
        "api_calls": calls,
        "api_errors": dict(sorted(world.runtime.errors.items())),
        "contract_violations": {
            vendor: world.runtime.contract_violations[vendor] for vendor in sorted(VENDORS)
        },
        "vendors": world.runtime.vendor_metrics(),
        "faults_fired": world.runtime.faults_fired(),
        "calls_per_billable_item": round(sum(calls.values()) / billable, 4),
        "core": {"failed_flows": world.runtime.failed_flows},
        **resilience_metrics(world, ops),
        "simulation": {
            "events": world.env.events_processed,
            "trace_lines": len(world.trace),
            "consultants": people_count,
            "time_entries_logged": len(world.truth.time),
            "webhooks_delivered": world.webhooks_delivered,
            "billing_runs": len(world.truth.billing_runs),
        },
    }
    return RunResult(metrics, report, world, None)


def vendor_broken_at_end(world: World) -> list[str]:
    """Hold reasons a vendor fault still in force at the end of the run justifies: the ERP's
    schema drift (the core cannot invoice in a shape it was not built for)."""
    erp = world.scenario.faults.vendors.get("erp")
    drift = erp.schema_drift if erp is not None else None
    end = world.now()
    if drift is None or world.heal_at <= end or drift.from_ > end.date():
        return []
    return ["contract_violation"]


def fx_totals(world: World, report: OracleReport) -> dict[str, Any]:
    """Expenses converted into each invoice currency: what was paid, in which currencies, and
    what it bills at the ERP's rates (including markup), from the oracle's verdicts."""
    paid = {e.source_id: e for e in world.truth.expenses.values()}
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


def applied_to_invoices(world: World) -> dict[str, Decimal]:
    """Invoice id -> posted credit memos and payments applied to it, from the ERP's records."""
    applied: dict[str, Decimal] = {}
    for memo in world.erp.credit_memos(world.tenant):
        if memo["status"] != "Draft" and memo.get("invoiceId"):
            total = Decimal(memo["totalAmountIncludingTax"])
            applied[memo["invoiceId"]] = applied.get(memo["invoiceId"], Decimal(0)) + total
    for payment in world.erp.payments(world.tenant):
        if payment["status"] == "Posted":
            target = payment["appliesToInvoiceId"]
            applied[target] = applied.get(target, Decimal(0)) + Decimal(payment["amount"])
    return applied


def committed_tax(world: World) -> dict[str, Decimal]:
    """Total tax per currency on the tax engine's committed documents."""
    totals: dict[str, Decimal] = {}
    for document in world.tax.transactions(world.tenant):
        if document["status"] == "Committed":
            currency = document["currencyCode"]
            totals[currency] = totals.get(currency, Decimal(0)) + Decimal(document["totalTax"])
    return totals


def exception_queue(world: World) -> dict[str, str]:
    """The core's open exceptions (source id -> reason), read through its experience API;
    a design without the endpoint has an empty queue."""
    response = world.core.handle(httpx.Request("GET", "http://core/exceptions"))
    if response.status_code != 200:
        return {}
    queue: dict[str, str] = {}
    for e in response.json()["exceptions"]:
        if e.get("status", "open") == "open":
            for item in [e["item"], *e.get("items", [])]:
                queue.setdefault(item, e["reason"])
    return queue


def command_line(
    scenario_file: str,
    seed: int,
    design: str,
    options: dict[str, str],
    swarm_draw: bool = False,
) -> str:
    """The one ``q2c run`` line that reruns this run (``command.txt``) or, with ``swarm_draw``,
    this swarm seed with the faults it drew. A run's line always names its design; the
    swarm's, printed for a person to paste, leaves out the default one."""
    parts = ["q2c", "run", scenario_file, "--seed", str(seed)]
    if swarm_draw:
        parts.append("--swarm-draw")
    if not swarm_draw or design != "reference":
        parts += ["--design", design]
    for key, value in sorted(options.items()):
        parts += ["--option", f"{key}={value}"]
    return shlex.join(parts)


def write_run(result: RunResult, out: Path, command: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(result.metrics, indent=2, sort_keys=True) + "\n")
    result.world.trace.save(out / "trace.jsonl")
    (out / "items.csv").write_text(items_csv(result.report))
    (out / "command.txt").write_text(command + "\n")
    result.out = out
    return out


def run_scenario(
    file: str | Path,
    seed: int,
    design: str = "reference",
    options: dict[str, str] | None = None,
    out: Path | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Load, run, judge and (if ``out``) write the run folder."""
    scenario = load_scenario(file)
    result = run(scenario, seed, design, options, progress)
    if out is not None:
        write_run(result, out, command_line(str(file), seed, design, dict(options or {})))
    return result
