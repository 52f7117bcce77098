"""Vendor faults from a scenario file: every kind fires in a small run and shows in
metrics.json, runs replay byte for byte, and bad fault settings are explained, exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sim.runner import RunResult, run
from sim.scenario.faults import FaultsSpec
from sim.scenario.format import Scenario
from tests.support.cli import invoke
from tests.support.paths import SMALL

# The small firm's ERP, PSA, tax engine and CRM each misbehave in their own way.
FAULTS = """
vendors:
  crm:
    outages: [{start: 2026-02-01T00:00:00, end: 2026-02-15T00:00:00, mode: refused}]
  erp:
    quota: {limit: 3, window_s: 600}
    lost_responses: {rate: 0.6}
    schema_drift: {from: 2026-05-15}
  psa:
    errors: {rate: 0.05, burst: 2}
    latency: {median_ms: 200, p99_ms: 40000}
    quota: {concurrency: 1, limit: 1000, window_s: 60}
  tax:
    outages: [{start: 2026-04-01T00:00:00, end: 2026-04-15T00:00:00}]
"""
SEED = 1
KINDS = ("concurrency", "error", "latency_tail", "lost_response", "outage", "quota", "refused",
         "schema_drift")  # fmt: skip


@pytest.fixture(scope="module")
def faulty(small: Scenario) -> Scenario:
    return small.model_copy(update={"faults": FaultsSpec.model_validate(yaml.safe_load(FAULTS))})


@pytest.fixture(scope="module")
def faulty_run(faulty: Scenario) -> RunResult:
    # The PSA's concurrency cap of 1 bites only when two PSA calls overlap. Since the core
    # reads approved entries ahead in its feed poll (one flow), few runs of the small firm
    # overlap at all (seeds 1-5: only seed 1, once). Seed 1 is kept for that; the 30-seed
    # swarms (make swarm) check that each kind fires across seeds of the library scenarios.
    return run(faulty, seed=SEED)


def test_every_fault_kind_fires_and_is_counted(faulty_run: RunResult) -> None:
    """Each configured kind fires, and the per-vendor counts agree with what fired."""
    m = faulty_run.metrics
    fired, vendors = m["faults_fired"], m["vendors"]
    assert all(fired.get(kind, 0) > 0 for kind in KINDS), fired
    assert vendors["crm"]["refused"] == vendors["crm"]["outage_calls"] == fired["refused"]
    assert vendors["tax"]["outage_calls"] == fired["outage"]
    assert vendors["erp"]["http_429"] == fired["quota"]
    # a 429 drawn from the PSA's latency tail (p99 40 s) past the 30 s timeout reaches the
    # core as a timeout, not as a 429
    psa = vendors["psa"]
    assert 0 < psa["http_429"] <= fired["concurrency"] <= psa["http_429"] + psa["timeouts"]
    assert vendors["psa"]["errors_5xx"] > 0 and vendors["psa"]["timeouts"] > 0
    assert vendors["erp"]["timeouts"] >= fired["lost_response"]
    # drifted writes are refused (BC's 400); drifted reads (the core looks before it writes) answer
    # 200 in the new shape
    assert fired["schema_drift"] > 0 and vendors["erp"]["errors_4xx"] > 0
    assert {v["calls"] for v in vendors.values()} != {0}
    assert m["api_calls"] == {v: c["calls"] for v, c in vendors.items() if c["calls"]}


def test_same_seed_same_trace_with_faults_on(faulty: Scenario, faulty_run: RunResult) -> None:
    """Faults draw from the run's seed only: a second run is byte-identical."""
    again = run(faulty, seed=SEED)
    assert again.metrics["trace_sha256"] == faulty_run.metrics["trace_sha256"]
    assert again.metrics == faulty_run.metrics


def test_no_faults_means_no_layer_and_nothing_fired(small: Scenario) -> None:
    """A scenario without faults keeps the fast path: no fault layers, nothing fired."""
    result = run(small, seed=3)
    assert result.world.runtime.faults == {}
    assert result.metrics["faults_fired"] == {}
    assert sum(v["timeouts"] + v["refused"] for v in result.metrics["vendors"].values()) == 0


BAD = [
    (
        "vendors:\n  tax:\n    schema_drift: {from: 2026-04-01}\n",
        "faults.vendors.tax.schema_drift: expected no schema drift here",
    ),
    (
        "vendors:\n  erp:\n    outages:\n"
        "      - {start: 2026-04-02T00:00:00, end: 2026-04-03T00:00:00}\n"
        "      - {start: 2026-04-01T00:00:00, end: 2026-04-01T06:00:00}\n",
        "faults.vendors.erp.outages[1].start: expected a moment on or after outages[0].end",
    ),
    (
        "vendors:\n  erp:\n    outages: [{start: 2026-04-02T06:00:00, end: 2026-04-02T05:00:00}]\n",
        "faults.vendors.erp.outages[0].end: expected a moment after start",
    ),
    ("vendors:\n  sap: {}\n", "faults.vendors.sap"),
    ("vendors:\n  erp:\n    errors: {rate: 1.5}\n", "faults.vendors.erp.errors.rate"),
    ("vendors:\n  erp:\n    quota: {limit: 10}\n", "faults.vendors.erp.quota.window_s"),
    ("vendors:\n  erp:\n    quota: {preset: sap}\n", "faults.vendors.erp.quota.preset"),
    (
        "vendors:\n  psa:\n    latency: {median_ms: 900, p99_ms: 100}\n",
        "faults.vendors.psa.latency.p99_ms: expected at least median_ms (900)",
    ),
    ("webhooks:\n  tax: {drop: 0.1}\n", "faults.webhooks.tax"),
    ("crash: {downtime_minutes: 5}\n", "faults.crash: expected a crash moment"),
    ("heal: 2025-01-01\n", "faults.heal: expected a date on or after the run's start"),
    (
        "vendors:\n  erp:\n    outages: [{start: soon, end: 2026-04-01T10:00:00}]\n",
        "faults.vendors.erp.outages[0].start: expected a moment written YYYY-MM-DDTHH:MM:SS",
    ),
]


@pytest.mark.parametrize(("section", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_fault_settings_exit_2_naming_file_line_and_field(
    tmp_path: Path, section: str, message: str
) -> None:
    """A wrong fault setting stops the run with exit 2 and a located explanation."""
    text = SMALL.read_text() + "faults:\n" + "".join(f"  {line}\n" for line in section.splitlines())
    file = tmp_path / "bad.yaml"
    file.write_text(text)
    code, out, err = invoke("run", str(file), "--no-report", "--out", str(tmp_path / "run"))
    assert code == 2
    shown = " ".join((out + err).split())
    assert re.search(re.escape(f"{file}:") + r"\d+: " + re.escape(message), shown), shown
    assert "Traceback" not in shown
