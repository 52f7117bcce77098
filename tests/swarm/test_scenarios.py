"""The fault scenarios under swarm testing: the reference core holds every invariant on every
seed, whatever faults the seed draws inside the scenario's envelope.

The default suite runs a bounded swarm (a few seeds per scenario, in-process); the ``swarm``
marker runs 30 seeds per scenario in parallel processes and checks that every fault kind the
envelope allows actually fired (``make swarm``, run by ``.ci/run``); ``make soak`` runs 500.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.runner import run
from sim.scenario.draw import envelope_kinds
from sim.scenario.loader import load_scenario
from sim.swarm import SeedOutcome, swarm
from tests.support.paths import FAULT_SCENARIOS, ROOT

BOUNDED_SEEDS = range(101, 103)  # not the library's seeds 1-5, which run the whole envelope
CI_SEEDS = range(1, 31)
SHOWN = 5


def _file(name: str) -> str:
    return str(ROOT / "scenarios" / f"{name}.yaml")


def _failures(outcomes: list[SeedOutcome]) -> str:
    failed = [o for o in outcomes if o.failed]
    lines = [f"  {o.error or o.by_invariant}: {o.command}" for o in failed[:SHOWN]]
    return f"{len(failed)} failing seed(s):\n" + "\n".join(lines)


@pytest.mark.parametrize("name", FAULT_SCENARIOS)
def test_bounded_swarm_holds_every_invariant(name: str) -> None:
    """Two seeds, each with its own draw of the scenario's faults: no violation."""
    outcomes = swarm(_file(name), BOUNDED_SEEDS)
    assert not any(o.failed for o in outcomes), _failures(outcomes)
    assert all(o.drawn for o in outcomes)


# what each envelope kind shows up as in a run's fired faults (sim.swarm.fired_faults)
FIRED_AS = {
    "quota": ("quota", "concurrency", "quota_paced"),
    "latency": ("latency_tail",),
    "errors": ("error",),
    "lost_responses": ("lost_response",),
    "schema_drift": ("schema_drift",),
    "outage": ("outage", "refused"),
    "webhooks": ("webhook_duplicated", "webhook_dropped", "webhook_delayed"),
    "crash": ("crash",),
}


def _kind(kind: tuple[str, ...]) -> str:
    if kind[0] in ("webhooks", "crash"):
        return kind[0]
    return "outage" if kind[1].startswith("outage") else kind[1]


@pytest.mark.swarm
@pytest.mark.parametrize("name", FAULT_SCENARIOS)
def test_thirty_seed_swarm_holds_and_every_fault_kind_fires(name: str, tmp_path: Path) -> None:
    """30 seeds in parallel processes: no violation, and each kind of fault the envelope
    allows fired in at least one seed."""
    outcomes = swarm(_file(name), CI_SEEDS, workers=os.cpu_count() or 1)
    assert not any(o.failed for o in outcomes), _failures(outcomes)
    fired = {kind for o in outcomes for kind in o.fired}
    envelope = load_scenario(_file(name)).faults
    for kind in sorted({_kind(k) for k in envelope_kinds(envelope)}):
        assert fired & set(FIRED_AS[kind]), f"{name}: {kind} never fired in {len(outcomes)} seeds"


@pytest.mark.parametrize(
    ("name", "option", "seed", "invariant"),
    [
        ("lost-responses", "idempotency=false", 2, "no_duplicates"),
        ("month-end-erp-outage", "retries=false", 1, "no_leakage"),
        ("tax-engine-outage", "retries=false", 1, "no_leakage"),
        ("webhook-chaos", "reconciliation=false", 1, "no_leakage"),
    ],
)
def test_each_mechanism_switched_off_is_caught(
    name: str, option: str, seed: int, invariant: str
) -> None:
    """The faults bite: without the mechanism that answers them, the oracle finds the damage
    (the reference design, everything on, holds on these seeds in the scenario library)."""
    key, _, value = option.partition("=")
    metrics = run(load_scenario(_file(name)), seed, options={key: value}).metrics
    broken = {v["invariant"] for v in metrics["invariants"]["violations"]}
    assert invariant in broken, f"{name} --option {option} --seed {seed}: {sorted(broken)}"


@pytest.mark.parametrize("name", ["crash-restart", "webhook-chaos"])
def test_fault_runs_are_identical_across_hash_seeds(name: str, tmp_path: Path) -> None:
    """A crash with its SQLite store, or webhook chaos, run as `q2c run --swarm-draw` under
    PYTHONHASHSEED=0 and =1: byte-identical metrics and trace."""
    outs = []
    for hashseed in ("0", "1"):
        out = tmp_path / f"hash{hashseed}"
        env = {**os.environ, "PYTHONHASHSEED": hashseed, "COLUMNS": "120"}
        done = subprocess.run(
            [sys.executable, "-m", "sim.app.cli", "run", str(ROOT / "scenarios" / f"{name}.yaml"),
             "--seed", "7", "--swarm-draw", "--no-report", "--out", str(out)],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr + done.stdout
        outs.append(out)
    for name_ in ("metrics.json", "trace.jsonl"):
        assert (outs[0] / name_).read_bytes() == (outs[1] / name_).read_bytes()
