"""Compare designs: every design on the same scenario and the same seeds, side by side.

Each (design, seed) is an ordinary run (``sim.runner``), written as the run folder ``q2c run``
writes, under ``OUT/runs/DESIGN/seed-N``; with ``swarm_draw`` each seed first draws its faults
inside the scenario's envelope, as ``q2c swarm`` does, so every design meets the same drawn
faults on a seed. The runs fan out over worker processes through ``sim._cluster`` (the swarm's
machinery). Then the comparison is read back from the run folders' ``metrics.json`` alone
(``sim._compare_figures``) into ``compare.json``: per design, each figure's value per seed with
its median and min-max, and a one-line verdict.

The first design named is the one under test: the comparison fails (exit 1) if it violates an
invariant, or fails to run, on any seed. This module prints nothing (``sim.app.compare_view``
shows it).
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sim._cluster import Placement, fan_out
from sim._compare_figures import figures_for, summarise_figure, verdict
from sim.runner import command_line, run, write_run
from sim.scenario.draw import draw_scenario
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario

__all__ = [
    "COMPARE_FILE",
    "RunOutcome",
    "compare",
    "comparison",
    "design_folders",
    "write_comparison",
]

COMPARE_FILE = "compare.json"
RUNS_DIR = "runs"


@dataclass
class RunOutcome:
    """One design on one seed: where its run folder is (relative to the comparison folder),
    whether it held, and what it cost."""

    design: str
    seed: int
    folder: str
    ok: bool
    violations: int
    by_invariant: dict[str, int]
    command: str
    wall_s: float
    cpu_s: float
    error: str | None = None

    @property
    def failed(self) -> bool:
        return not self.ok or self.error is not None


def design_folders(designs: list[str]) -> dict[str, str]:
    """A folder name per design: its name with anything but letters, digits, ``.``, ``_`` and
    ``-`` made a dash (``pkg.mod:fn`` -> ``pkg.mod-fn``), numbered if two would clash."""
    names: dict[str, str] = {}
    for design in designs:
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", design).strip("-.") or "design"
        name, n = base, 1
        while name in names.values():
            n += 1
            name = f"{base}-{n}"
        names[design] = name
    return names


@functools.cache
def _scenario(file: str) -> Scenario:
    return load_scenario(file)


def run_one(
    file: str, seed: int, design: str, swarm_draw: bool, out: str, folder: str
) -> RunOutcome:
    """Run ``design`` on ``seed`` and write its run folder ``out/folder`` (a top-level function:
    process pools pickle it). A run that raises is an outcome with its error, not a crash."""
    started, cpu = time.perf_counter(), time.process_time()
    scenario = _scenario(file)
    if swarm_draw:
        scenario = draw_scenario(scenario, seed)
    command = command_line(file, seed, design, {}) + (" --swarm-draw" if swarm_draw else "")
    try:
        result = run(scenario, seed, design)
        write_run(result, Path(out) / folder, command, file)
    except Exception as exc:  # a run that fails fails its seed; the comparison goes on
        return RunOutcome(
            design=design, seed=seed, folder=folder, ok=False, violations=0, by_invariant={},
            command=command, wall_s=round(time.perf_counter() - started, 3),
            cpu_s=round(time.process_time() - cpu, 3), error=f"{type(exc).__name__}: {exc}",
        )  # fmt: skip
    by_invariant: dict[str, int] = {}
    for v in result.metrics["invariants"]["violations"]:
        by_invariant[v["invariant"]] = by_invariant.get(v["invariant"], 0) + 1
    return RunOutcome(
        design=design,
        seed=seed,
        folder=folder,
        ok=result.ok,
        violations=sum(by_invariant.values()),
        by_invariant=dict(sorted(by_invariant.items())),
        command=command,
        wall_s=round(time.perf_counter() - started, 3),
        cpu_s=round(time.process_time() - cpu, 3),
    )


def compare(
    file: str,
    designs: list[str],
    seeds: range,
    out: Path,
    swarm_draw: bool = False,
    workers: int = 1,
    done: Callable[[RunOutcome], None] | None = None,
) -> list[RunOutcome]:
    """Run every design on every seed (in ``workers`` spawned processes when more than one),
    writing the run folders under ``out``; ``done`` sees each outcome as it finishes. The
    outcomes come back in design order, then seed order."""
    folders = design_folders(designs)
    calls = [
        (file, seed, design, swarm_draw, str(out), f"{RUNS_DIR}/{folders[design]}/seed-{seed}")
        for design in designs
        for seed in seeds
    ]
    outcomes: list[RunOutcome] = []
    for outcome in fan_out(run_one, calls, Placement(workers)):
        outcomes.append(outcome)
        if done is not None:
            done(outcome)
    order = {d: i for i, d in enumerate(designs)}
    return sorted(outcomes, key=lambda o: (order[o.design], o.seed))


def _metrics(out: Path, outcome: RunOutcome) -> dict[str, Any] | None:
    path = out / outcome.folder / "metrics.json"
    if outcome.error is not None or not path.is_file():
        return None
    metrics: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return metrics


def comparison(
    file: str,
    scenario: Scenario,
    designs: list[str],
    seeds: range,
    outcomes: list[RunOutcome],
    out: Path,
    swarm_draw: bool,
    workers: int,
    wall_s: float,
) -> dict[str, Any]:
    """What ``compare.json`` holds, read from the run folders under ``out``: the runs, then per
    design every figure (values per seed, median, min, max) and its verdict, and the exit code
    (1 when the first design failed a seed)."""
    by_design = {d: [o for o in outcomes if o.design == d] for d in designs}
    metrics = {d: [_metrics(out, o) for o in runs] for d, runs in by_design.items()}
    figures = figures_for([m for runs in metrics.values() for m in runs if m is not None])
    first = designs[0]
    failing = [o.seed for o in by_design[first] if o.failed]
    return {
        "scenario": scenario.name,
        "file": file,
        "designs": designs,
        "under_test": first,
        "seeds": list(seeds),
        "swarm_draw": swarm_draw,
        "workers": workers,
        "wall_s": round(wall_s, 3),
        "cpu_s": round(sum(o.cpu_s for o in outcomes), 3),
        "exit_code": 1 if failing else 0,
        "failing_seeds": failing,
        "figures": [
            {"key": f.key, "group": f.group, "label": f.label, "unit": f.unit} for f in figures
        ],
        "designs_summary": {
            d: {
                "folder": f"{RUNS_DIR}/{design_folders(designs)[d]}",
                "verdict": verdict(
                    scenario.name, d, metrics[d], sum(1 for o in by_design[d] if o.error)
                ),
                "failing_seeds": [o.seed for o in by_design[d] if o.failed],
                "figures": {
                    f.key: summarise_figure(f, [f.value(m) for m in metrics[d]]) for f in figures
                },
            }
            for d in designs
        },
        "runs": [asdict(o) for o in outcomes],
    }


def write_comparison(report: dict[str, Any], out: Path) -> Path:
    """``report`` as ``out/compare.json`` (sorted keys, so two comparisons diff line by line)."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / COMPARE_FILE
    path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
