"""Policy holds: invoices wait for the client's PO and expenses for their receipts, visibly in
the core's exception queue; the oracle counts them as held (explained), and catches a core
that bills through a hold or holds without saying so."""

from __future__ import annotations

from datetime import datetime

import pytest

from sim.runner import RunResult, run
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
from tests.support.paths import ROOT


@pytest.fixture(scope="module")
def po_holds() -> Scenario:
    return load_scenario(ROOT / "scenarios" / "po-holds.yaml")


@pytest.fixture(scope="module")
def honest(po_holds: Scenario) -> RunResult:
    return run(po_holds, 1)


def test_held_until_the_po_arrives_then_billed_with_it(honest: RunResult) -> None:
    """Fenland's PO arrives 16 March: nothing is invoiced before, everything after carries it."""
    m = honest.metrics
    assert m["invariants"] == {"ok": True, "violations": []}
    fenland = [i for i in honest.report.items if i.contract == "PO-FENLAND"]
    assert fenland and all(i.verdict == "correct" for i in fenland)
    arrived = honest.world.truth.purchase_orders["PO-FENLAND"][1]
    invoices = [
        inv
        for inv in honest.world.erp.invoices(honest.world.tenant)
        if inv["externalDocumentNumber"] == "FW-2026-0413"
    ]
    assert invoices and all(datetime.fromisoformat(inv["postedAt"]) > arrived for inv in invoices)
    assert min(i.day for i in fenland).month == 1  # January work waited for the PO


def test_a_po_that_never_comes_holds_everything_explained(honest: RunResult) -> None:
    """Pennine never sends its PO: every item is held with reason missing_po, none leaked."""
    pennine = [i for i in honest.report.items if i.contract == "PO-PENNINE"]
    assert len(pennine) > 200
    assert {(i.verdict, i.cause) for i in pennine} == {("held", "missing_po")}
    assert honest.metrics["held_by_reason"]["missing_po"] == len(pennine)


def test_core_ignoring_purchase_orders_is_caught(po_holds: Scenario) -> None:
    """Billing without the PO mis-bills: through the hold (Pennine) and before arrival (Fenland)."""
    m = run(po_holds, 1, design="tests.support.designs:ignores_purchase_orders").metrics
    assert set(m["misbilled_by_cause"]) == {"billed_despite_missing_po", "billed_without_po"}
    assert {v["invariant"] for v in m["invariants"]["violations"]} == {"holds_respected"}


def test_core_billing_receiptless_expenses_is_caught(po_holds: Scenario) -> None:
    """Expenses above the threshold without a receipt, billed anyway, break the hold."""
    m = run(po_holds, 1, design="tests.support.designs:ignores_receipts").metrics
    assert m["misbilled_by_cause"] == {"billed_despite_missing_receipt": m["items"]["misbilled"]}
    assert m["items"]["misbilled"] > 0


def test_core_holding_silently_leaks(po_holds: Scenario) -> None:
    """Holding an expense without an exception is not 'held': it is leaked, unexplained."""
    m = run(po_holds, 1, design="tests.support.designs:quiet_holds").metrics
    assert m["leaked_by_cause"] == {"held_without_exception_missing_receipt": m["items"]["leaked"]}
    assert m["items"]["leaked"] > 0


@pytest.fixture(scope="module")
def subcontracting() -> Scenario:
    return load_scenario(ROOT / "scenarios" / "subcontractor-heavy.yaml")


def test_subcontractor_time_waits_for_cost_approval(subcontracting: Scenario) -> None:
    """Disputed vendor bills hold exactly their people's month, explained; the rest bills."""
    result = run(subcontracting, 1)
    m = result.metrics
    assert m["invariants"] == {"ok": True, "violations": []}
    held = [i for i in result.report.items if i.verdict == "held"]
    assert held and {i.cause for i in held} == {"unapproved_subcontractor_cost"}
    last_run = result.world.truth.billing_runs[-1][1]
    for item in held:
        truth = result.world.truth.time_by_psa_id[item.source_id.rsplit(":", 1)[1]]
        assert truth.subcontractor
        approved = result.world.truth.subcontractor_costs[
            (truth.consultant, f"{truth.work_date:%Y-%m}")
        ]
        assert approved is None or approved > last_run  # disputed, or approved too late
    assert m["items_by_kind"]["time_entry"]["correct"] > m["items"]["held"]


def test_core_billing_unapproved_subcontracting_is_caught(subcontracting: Scenario) -> None:
    """Billing subcontractors before their cost is approved breaks the hold."""
    design = "tests.support.designs:ignores_subcontractor_approval"
    m = run(subcontracting, 1, design=design).metrics
    assert m["misbilled_by_cause"] == {
        "billed_despite_unapproved_subcontractor_cost": m["items"]["misbilled"]
    }
    assert m["items"]["misbilled"] > 0
