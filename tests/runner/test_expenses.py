"""Expenses: billed converted at the ERP's rate for the expense date plus the contract's
markup; a core that forgets the markup is caught as 'markup'."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sim.runner import RunResult, run
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
from tests.support.paths import ROOT


@pytest.fixture(scope="module")
def po_holds() -> Scenario:
    """Harbour's engineers file travel at cost plus 10% (markup set here on top of the file)."""
    s = load_scenario(ROOT / "scenarios" / "po-holds.yaml")
    contracts = []
    for c in s.contracts:
        if c.expense_policy is not None:
            policy = c.expense_policy.model_copy(update={"markup_percent": Decimal(10)})
            c = c.model_copy(update={"expense_policy": policy})
        contracts.append(c)
    return s.model_copy(update={"contracts": contracts})


@pytest.fixture(scope="module")
def honest(po_holds: Scenario) -> RunResult:
    return run(po_holds, 1)


def test_expenses_bill_at_cost_plus_markup(honest: RunResult) -> None:
    """Every billable expense is correct (or held for its receipt), none leaked."""
    kinds = honest.metrics["items_by_kind"]["expense"]
    assert kinds["correct"] > 10
    assert kinds["correct"] + kinds["held"] == kinds["billable"]
    assert honest.metrics["invariants"]["ok"]


def test_core_forgetting_the_markup_is_caught(po_holds: Scenario) -> None:
    """Expenses billed at cost where the contract says +10% are mis-billed by 'markup'."""
    m = run(po_holds, 1, design="tests.support.designs:forgets_markup").metrics
    assert m["items_by_kind"]["expense"]["misbilled"] > 10
    assert m["misbilled_by_cause"] == {"markup": m["items"]["misbilled"]}
