"""Swarm testing, as TigerBeetle's VOPR does it: many seeds in parallel processes, each with
its own fault settings drawn inside the scenario's faults envelope (``sim.scenario.draw``), each
run through a safety phase (faults on) and a liveness phase (from ``faults.heal``, none), then
judged by the oracle. Each outcome carries the one ``q2c run ... --swarm-draw`` line that
reproduces its seed, and ``swarm.json`` holds them all.

This is the engine and it prints nothing: ``q2c swarm``'s progress bar and table live in
``sim.app.swarm_view``, so a notebook or another tool can run a swarm and show it its own way.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sim._cluster import Placement, fan_out
from sim.runner import command_line, run
from sim.scenario.draw import draw_scenario, drawn_kinds
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
from sim.world.design_guard import DesignFailure

__all__ = [
    "SeedOutcome",
    "exit_code",
    "fired_faults",
    "run_seed",
    "swarm",
    "swarm_report",
    "write_swarm",
]


@dataclass
class SeedOutcome:
    """One seed of a swarm, judged."""

    seed: int
    drawn: list[str]
    fired: dict[str, int]
    violations: int
    by_invariant: dict[str, int]
    leaked: int
    duplicated: int
    misbilled: int
    trace_sha256: str
    wall_s: float
    command: str
    faults: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    # the design under test failed (raised, wrong shape, never answered): ``q2c run``'s exit 3;
    # ``error`` then says where, and the seed has no verdict
    design_failed: bool = False

    @property
    def failed(self) -> bool:
        return self.violations > 0 or self.error is not None


@functools.cache
def _scenario(file: str) -> Scenario:
    return load_scenario(file)


def fired_faults(metrics: dict[str, Any]) -> dict[str, int]:
    """Faults that actually fired in a run, by kind (vendor faults, webhook chaos, crashes),
    plus ``quota_paced``: calls the core held back because a quota was spent (the quota bit
    even when the core's pacing meant the vendor never had to answer 429)."""
    fired: dict[str, int] = {k: int(v) for k, v in metrics.get("faults_fired", {}).items() if v}
    for what in ("duplicated", "dropped", "delayed"):
        total = sum(w.get(what, 0) for w in metrics.get("webhooks", {}).values())
        if total:
            fired[f"webhook_{what}"] = total
    if metrics.get("crashes"):
        fired["crash"] = len(metrics["crashes"])
    paced = sum(metrics.get("resilience", {}).get("throttled", {}).values())
    if paced:  # a quota the core saw coming and waited for: it bit, without a 429
        fired["quota_paced"] = paced
    return dict(sorted(fired.items()))


def run_seed(
    file: str,
    seed: int,
    design: str,
    options: dict[str, str],
    envelope: Scenario | None = None,
) -> SeedOutcome:
    """Draw this seed's faults, run, judge (a top-level function: process pools pickle it).
    ``envelope`` is the loaded scenario when the worker may not have ``file`` (a cluster);
    ``file`` then only names the scenario in the reproduce line."""
    started = time.perf_counter()
    scenario = draw_scenario(envelope if envelope is not None else _scenario(file), seed)
    command = command_line(file, seed, design, options, swarm_draw=True)
    faults = scenario.faults.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    try:
        metrics = run(scenario, seed, design, options).metrics
    except Exception as exc:  # a failure fails the seed; the swarm goes on
        return SeedOutcome(
            seed=seed, drawn=drawn_kinds(scenario.faults), fired={}, violations=0,
            by_invariant={}, leaked=0, duplicated=0, misbilled=0, trace_sha256="",
            wall_s=round(time.perf_counter() - started, 3), command=command, faults=faults,
            error=f"{type(exc).__name__}: {exc}", design_failed=isinstance(exc, DesignFailure),
        )  # fmt: skip
    violations = metrics["invariants"]["violations"]
    by_invariant: dict[str, int] = {}
    for v in violations:
        by_invariant[v["invariant"]] = by_invariant.get(v["invariant"], 0) + 1
    items = metrics["items"]
    return SeedOutcome(
        seed=seed,
        drawn=drawn_kinds(scenario.faults),
        fired=fired_faults(metrics),
        violations=len(violations),
        by_invariant=dict(sorted(by_invariant.items())),
        leaked=items["leaked"],
        duplicated=items["duplicated"],
        misbilled=items["misbilled"],
        trace_sha256=metrics["trace_sha256"],
        wall_s=round(time.perf_counter() - started, 3),
        command=command,
        faults=faults,
    )


def exit_code(outcomes: list[SeedOutcome]) -> int:
    """A swarm's exit code, as ``q2c run``'s: 3 when the design under test failed on any seed
    (a broken design says nothing about the invariants), else 1 when a seed failed, else 0."""
    if any(o.design_failed for o in outcomes):
        return 3
    return 1 if any(o.failed for o in outcomes) else 0


def swarm(
    file: str,
    seeds: range,
    design: str = "reference",
    options: dict[str, str] | None = None,
    workers: int = 1,
    done: Callable[[SeedOutcome], None] | None = None,
    cluster: str | None = None,
) -> list[SeedOutcome]:
    """Run every seed (in ``workers`` spawned processes when more than one, or on the Dask
    ``cluster`` at that address, see ``sim._cluster``), in seed order. ``done`` sees each
    outcome as it finishes. A cluster gets the loaded scenario, so its workers need the
    package, not the file; raises ``sim._cluster.ClusterError`` if the cluster is unusable."""
    opts = dict(options or {})
    calls = [(file, seed, design, opts) for seed in seeds]
    shared = (_scenario(file),) if cluster else ()
    outcomes: list[SeedOutcome] = []
    for outcome in fan_out(run_seed, calls, Placement(workers, cluster), shared):
        outcomes.append(outcome)
        if done is not None:
            done(outcome)
    return sorted(outcomes, key=lambda o: o.seed)


def swarm_report(
    file: str,
    scenario: Scenario,
    outcomes: list[SeedOutcome],
    design: str,
    options: dict[str, str],
    workers: int,
    wall_s: float,
    cluster: str | None = None,
) -> dict[str, Any]:
    """What ``swarm.json`` holds: the envelope, every seed's outcome and the totals."""
    fired: dict[str, int] = {}
    for o in outcomes:
        for kind, n in o.fired.items():
            fired[kind] = fired.get(kind, 0) + n
    failing = [o for o in outcomes if o.failed]
    return {
        "scenario": scenario.name,
        "file": file,
        "design": design,
        "options": dict(sorted(options.items())),
        "workers": workers,
        "cluster": cluster,  # the Dask scheduler's address (or local:N), null for local workers
        "envelope": scenario.faults.model_dump(mode="json", by_alias=True, exclude_defaults=True),
        "summary": {
            "seeds": len(outcomes),
            "failing_seeds": [o.seed for o in failing],
            "design_failed_seeds": [o.seed for o in outcomes if o.design_failed],
            "exit_code": exit_code(outcomes),
            "violations": sum(o.violations for o in outcomes),
            "faults_fired": dict(sorted(fired.items())),
            "wall_s": round(wall_s, 3),
        },
        "seeds": [asdict(o) for o in outcomes],
    }


def write_swarm(report: dict[str, Any], out: Path) -> Path:
    """``report`` as ``out/swarm.json`` (sorted keys, so two swarms diff line by line)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "swarm.json"
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return path
