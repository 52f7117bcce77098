"""The one place that reads the mocks' state: the world's vendors, closed into books.

After a run, everything the oracle needs is copied out of the live vendors (and read from the
core through its experience API) into plain data (``sim.record.Books``); from then on the run
is judged from that data alone, in this process or later from the run folder.
"""

from __future__ import annotations

import re
import sys
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx

from contracts import VENDORS
from sim.record.books import Books, RunFacts
from sim.world.world import World

__all__ = ["close_books", "run_facts"]


def close_books(world: World) -> Books:
    """The vendors' end state, the core's open exceptions, and the exchange rates the run's
    expenses need, as plain data."""
    tenant = world.tenant
    log = exception_log(world)
    return Books(
        invoices=[traced(i, "salesInvoiceLines") for i in world.erp.invoices(tenant)],
        credit_memos=[traced(m, "salesCreditMemoLines") for m in world.erp.credit_memos(tenant)],
        payments=world.erp.payments(tenant),
        tax_documents=world.tax.transactions(tenant),
        clm_records=list(world.clm.tables.all(tenant, "record")),
        psa_workspaces=world.psa.workspaces_for_books(tenant),
        psa_rate_card_versions=world.psa.rate_card_versions_for_books(tenant),
        exceptions=open_exceptions(log),
        exception_log=log,
        fx_rates={**_expense_rates(world), **_month_end_rates(world)},
    )


# What a line bills, at the head of its description: "[<ADJ |CR ><source item>@<contract
# version>] ..." (Business Central has no field for it: see ``orchestrator.adapters.erp.trace``,
# whose format any design that invoices through the ERP follows).
_TRACE = re.compile(r"^\[(?P<tag>ADJ |CR )?(?P<source>[^@\]\s]+)@(?P<version>[^\]]+)\]")
_ROLES = {"ADJ ": "adjustment", "CR ": "credit", None: "charge"}


def traced(document: dict[str, Any], lines_field: str) -> dict[str, Any]:
    """A copy of an ERP document whose lines carry the audit trail their descriptions state,
    as the books record it for the oracle: ``sourceItemIds`` (the one item a line bills),
    ``contractVersionId`` and ``billingRole``. A line whose description names nothing
    gets an empty trail (the oracle reports it untraced). The ERP mock makes a new record of
    each line whenever its lines are read (``mocks._erp_line_columns``): those get their trail in
    place, not copied again; a list's records (the live documents') are copied."""
    stored = document.get(lines_field, [])
    fresh = not isinstance(stored, list | tuple)  # see above: a list or tuple is stored as is
    lines = []
    for line in stored:
        found = _TRACE.match(str(line.get("description", "")))
        row = line if fresh else dict(line)
        row["sourceItemIds"] = [found["source"]] if found else []
        row["contractVersionId"] = sys.intern(found["version"]) if found else ""  # a few, shared
        row["billingRole"] = _ROLES[found["tag"] if found else None]
        lines.append(row)
    return {**document, lines_field: lines}


def _expense_rates(world: World) -> dict[tuple[str, str, date], Decimal]:
    """The ERP's published rate for every (paid-in currency, contract currency, day) of the
    run's expenses; a pair the ERP publishes no rate for is left out (judging it fails as it
    would have against the ERP)."""
    currency_of = {c.id: c.currency for c in world.scenario.contracts}
    rates: dict[tuple[str, str, date], Decimal] = {}
    for expense in world.truth.expenses.values():
        key = (expense.currency, currency_of[expense.contract], expense.day)
        if key not in rates:
            try:
                rates[key] = world.erp.exchange_rate(*key)
            except KeyError:
                continue
    return rates


def _month_end_rates(world: World) -> dict[tuple[str, str, date], Decimal]:
    """The ERP's rate at each month end of the period between every contract currency and
    every legal entity's currency: what finance converts receivables and reports with."""
    s = world.scenario
    into = sorted({e.currency for e in s.legal_entities})
    sides = sorted({c.currency for c in s.contracts} | set(into))
    rates: dict[tuple[str, str, date], Decimal] = {}
    month = s.period.start.replace(day=1)
    while month <= s.period.end:
        following = (month + timedelta(days=32)).replace(day=1)
        end = min(following - timedelta(days=1), s.period.end)
        for pair in ((c, local) for c in sides for local in into if c != local):
            try:
                rates[(*pair, end)] = world.erp.exchange_rate(*pair, end)
            except KeyError:
                continue
        month = following
    return rates


def exception_log(world: World) -> list[dict[str, Any]]:
    """Every exception the core raised, open or resolved, with its times (``at``: raised or
    last refreshed, ``resolved_at``), as its experience API serves them; a design without the
    endpoint (any answer but 200) has none. The world's guard has checked a 200 against
    ``contracts/design.yaml`` (``sim.world.design_guard``): a wrong shape never gets here, it
    ends the run as the design's failure."""
    response = world.core.handle(httpx.Request("GET", "http://core/exceptions"))
    if response.status_code != 200:
        return []
    log: list[dict[str, Any]] = response.json()["exceptions"]
    return log


def open_exceptions(log: list[dict[str, Any]]) -> dict[str, str]:
    """The open ones, by source item: source id -> reason (an exception may hold many items)."""
    queue: dict[str, str] = {}
    for e in log:
        if e.get("status", "open") == "open":
            for item in [e["item"], *e.get("items", [])]:
                queue.setdefault(item, e["reason"])
    return queue


def vendor_holds_at_end(world: World) -> list[str]:
    """Hold reasons a vendor fault still in force at the end of the run justifies: the ERP's
    schema drift (the core cannot invoice in a shape it was not built for)."""
    erp = world.scenario.faults.vendors.get("erp")
    drift = erp.schema_drift if erp is not None else None
    end = world.now()
    if drift is None or world.heal_at <= end or drift.from_ > end.date():
        return []
    return ["contract_violation"]


def run_facts(world: World, consultants: int) -> RunFacts:
    """What the world measured while it ran (the runner adds ``resilience``: operations' view
    of the core's status)."""
    runtime = world.runtime
    return RunFacts(
        seed=world.seed,
        design=world.design,
        options=dict(sorted(world.options.items())),
        run_until=world.now().isoformat(),
        trace_sha256=world.trace.sha256(),
        trace_lines=len(world.trace),
        events=world.env.events_processed,
        consultants=consultants,
        webhooks_delivered=world.webhooks_delivered,
        api_calls=dict(sorted(runtime.calls.items())),
        api_errors=dict(sorted(runtime.errors.items())),
        contract_violations={v: runtime.contract_violations[v] for v in sorted(VENDORS)},
        vendors=runtime.vendor_metrics(),
        faults_fired=runtime.faults_fired(),
        failed_flows=runtime.failed_flows,
        vendor_holds_at_end=vendor_holds_at_end(world),
    )
