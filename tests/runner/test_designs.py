"""Architects plug in their own design by module:function, and the oracle judges it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.app.cli import app
from sim.runner import run
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
from sim.world.world import load_design
from tests.support.paths import ROOT, SMALL


def test_idle_design_leaks_everything(small: Scenario) -> None:
    """A design that never sets up projects leaks all work: nothing could even be logged."""
    m = run(small, 3, design="tests.support.designs:idle").metrics
    assert m["items"]["correct"] == 0
    assert m["items"]["leaked"] == m["items"]["billable"] > 300
    assert m["leaked_by_cause"] == {
        "milestone_not_in_psa": 1,  # delivered and accepted, but no PSA record to bill from
        "never_logged_no_active_project": m["items"]["leaked"] - 1,
    }
    assert m["invariants"]["ok"] is False
    assert m["accuracy"] == {**m["accuracy"], "by_count": 0.0, "by_amount": 0.0}


def test_forgetful_design_leaks_only_milestones(small: Scenario) -> None:
    """A core that drops accepted milestones leaks exactly them; every hour is still right."""
    m = run(small, 3, design="tests.support.designs:forgetful").metrics
    kinds = m["items_by_kind"]
    assert kinds["billing_milestone"]["leaked"] == kinds["billing_milestone"]["billable"] == 1
    assert kinds["time_entry"]["correct"] == kinds["time_entry"]["billable"]
    assert m["leaked_by_cause"] == {"never_invoiced": 1}
    assert m["amounts"]["EUR"]["leaked"] == "25000.00"


def test_cli_exits_1_and_lists_violations(tmp_path: Path) -> None:
    """`q2c run --design` with a faulty design exits 1, lists what broke, says how to re-run."""
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(SMALL),
            "--seed",
            "3",
            "--design",
            "tests.support.designs:forgetful",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "1 invariant violation(s)" in result.output
    assert "no_leakage: psa:billing_milestone:1" in result.output
    assert "--design tests.support.designs:forgetful" in (out / "command.txt").read_text()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["design"] == "tests.support.designs:forgetful"
    assert (out / "report.html").is_file()


@pytest.mark.parametrize("name", ["nosuch", "tests.support.designs:nosuch", "no.such.module:build"])
def test_unknown_design_is_a_clear_error(name: str) -> None:
    """A design that cannot be found is a ValueError naming it, not an ImportError trace."""
    with pytest.raises(ValueError, match="design"):
        load_design(name)


def test_blind_erp_retries_duplicate_invoices_on_lost_responses() -> None:
    """Business Central has no idempotency keys: a design that sends one anyway and retries a
    create whose answer was lost makes a second invoice, and the oracle names the items billed
    twice (the reference core, which looks before it writes, has none: tests/swarm)."""
    scenario = load_scenario(ROOT / "scenarios" / "lost-responses.yaml")
    m = run(scenario, 1, design="tests.support.designs:blind_retries").metrics
    duplicates = [v for v in m["invariants"]["violations"] if v["invariant"] == "no_duplicates"]
    assert m["items"]["duplicated"] == len(duplicates) > 0
    assert all("billed once and again" in v["detail"] for v in duplicates)
