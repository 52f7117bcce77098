"""Issue 13's acceptance: the reference core served as an external process (``q2c design serve
reference``), run against a library scenario by the served world on the test clock, holds
every invariant with the in-process run's verdicts per item; a faulty one is named by the
oracle; an outage is survived in simulated time; an integration that is down is exit 3."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.app.cli import app
from sim.live import ClockSettings, IntegrationFailed, run_live
from sim.live.runner import write_live
from sim.runner import run
from sim.scenario.loader import load_scenario
from tests.live.served_design import ServedDesign, free_port
from tests.support.paths import ROOT

# minutes on the wall clock each: make live, run by .ci/run (not make test)
pytestmark = pytest.mark.live

SCENARIO = ROOT / "scenarios" / "large-milestone-inr.yaml"  # 3 consultants, two months
SETTINGS = ClockSettings(budget_s=300.0)
# the fault scenarios' nightly reconciliations each keep the clock busy for a quiet period:
# 100 ms instead of 200 halves their wall time (measured: the verdicts are the same)
BRISK = ClockSettings(quiet_s=0.1, budget_s=900.0)


def _verdicts(result: object) -> dict[str, str]:
    return {v.source_id: v.verdict for v in result.report.items}  # type: ignore[attr-defined]


@pytest.mark.slow
def test_the_reference_core_over_http_holds_every_invariant_with_the_same_verdicts() -> None:
    scenario = load_scenario(SCENARIO)
    with ServedDesign("reference") as url:
        live = run_live(scenario, 1, url, settings=SETTINGS)
    assert live.result.ok, live.result.metrics["invariants"]["violations"][:5]
    in_process = run(scenario, 1)
    assert _verdicts(live.result) == _verdicts(in_process)
    # the same work at the vendors (not asserted equal: a clock skip on a loaded machine can
    # outlive a token, and the renewal is one more call)
    assert set(live.result.metrics["api_calls"]) == set(in_process.metrics["api_calls"])
    figures = live.result.metrics["live"]
    assert figures["traffic"]["nonconforming_requests"] == 0
    assert figures["integration_answers"]["webhooks 2xx"] > 0
    # signed as in process, with the secret and key handed over in POST /_sandbox/vendors:
    # the served core verifies every webhook and refuses none
    refused = [k for k in figures["integration_answers"] if k.startswith("webhooks 4")]
    assert not refused, figures["integration_answers"]
    assert "not byte-identical" in figures["determinism"]


@pytest.mark.slow
def test_an_external_core_that_never_bills_milestones_is_named_by_the_oracle() -> None:
    scenario = load_scenario(SCENARIO)
    with ServedDesign("tests.support.designs:forgetful") as url:
        live = run_live(scenario, 1, url, settings=SETTINGS)
    assert not live.result.ok
    leaked = {v["item"] for v in live.result.metrics["invariants"]["violations"]}
    assert any("billing_milestone" in item for item in leaked), leaked
    assert all("time_entry" not in item for item in leaked), leaked


@pytest.mark.slow
def test_an_external_core_that_reposts_after_a_lost_answer_is_named_by_the_oracle(
    tmp_path: Path,
) -> None:
    """The reference core with its look-before-write switched off (the run's design option,
    passed on in ``POST /_sandbox/vendors``) against an ERP that loses half the answers to
    POSTs: every retried invoice is a duplicate, and the oracle counts them."""
    scenario_file = tmp_path / "lost.yaml"
    scenario_file.write_text(
        SCENARIO.read_text() + "\nfaults:\n  heal: 2026-06-30\n  vendors:\n    erp:\n"
        "      lost_responses: {rate: 0.5, methods: [POST]}\n"
    )
    with ServedDesign("reference") as url:
        live = run_live(load_scenario(scenario_file), 1, url, {"idempotency": "false"}, BRISK)
    broken = {v["invariant"] for v in live.result.metrics["invariants"]["violations"]}
    assert "no_duplicates" in broken
    assert live.result.metrics["items"]["duplicated"] > 0
    assert live.live["vendor_statuses"].get("erp 504", 0) > 0  # the lost answers, as served


@pytest.mark.slow
def test_an_erp_outage_at_month_end_is_survived_in_simulated_time(tmp_path: Path) -> None:
    """``month-end-erp-outage`` against the external reference core: the ERP refuses and
    answers 503 for hours of simulated time, the core's retries (``X-Attempt``) get through
    once it is back, nothing leaks, and the run folder shows them."""
    scenario = load_scenario(ROOT / "scenarios" / "month-end-erp-outage.yaml")
    with ServedDesign("reference") as url:
        live = run_live(scenario, 1, url, settings=BRISK)
    metrics = live.result.metrics
    assert live.result.ok, metrics["invariants"]["violations"][:5]
    assert metrics["items"]["leaked"] == 0
    assert live.live["vendor_statuses"]["erp 503"] > 0  # the outage, as the core saw it
    write_live(live, tmp_path, "q2c run ...", None)
    trace = (tmp_path / "trace.jsonl").read_text().splitlines()
    retried = [line for line in trace if '"live.api"' in line and '"attempt"' in line]
    assert any('"vendor":"erp"' in line for line in retried)
    assert (tmp_path / "live.json").is_file()


def test_an_integration_that_is_down_fails_the_run_at_once() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(IntegrationFailed, match="not reachable") as failed:
        run_live(load_scenario(SCENARIO), 1, url, settings=SETTINGS)
    assert failed.value.live["integration"] == url


def test_q2c_run_against_a_down_integration_exits_3_and_leaves_live_json(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["run", str(SCENARIO), "--integration", url, "--out", str(out), "--no-report"]
    )
    assert result.exit_code == 3, result.output
    assert "not reachable" in (out / "live.json").read_text()
    assert "--integration" in (out / "command.txt").read_text()
