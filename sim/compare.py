"""Compare designs: every design on the same scenario and the same seeds, side by side.

Each (design, seed) is an ordinary run (``sim.runner``), written as the run folder ``q2c run``
writes, under ``OUT/runs/DESIGN/seed-N``; with ``swarm_draw`` each seed first draws its faults
inside the scenario's envelope, as ``q2c swarm`` does, so every design meets the same drawn
faults on a seed. The runs fan out over worker processes through ``sim._cluster`` (the swarm's
machinery).

An external integration (``q2c compare --integration [NAME=]URL``, issue 13) is one more column,
after the designs: each seed is a live run (``sim.live.run_live``: the world served on a test
clock, the integration at URL as its core) with its run folder and ``live.json`` under
``OUT/runs/NAME/seed-N``. Those runs go one after another in this process, after the designs'
runs: one integration cannot take two runs at once (it is configured per run by
``POST /_sandbox/vendors``), and a busy machine would slow its clock's wall pace. A seed the
integration fails (down, never quiet, out of budget: ``IntegrationFailed``) is a failed run of
that column, with its ``live.json``, not a crash of the comparison.

Then the comparison is read back from the run folders' ``metrics.json`` alone
(``sim._compare_figures``) into ``compare.json``: per design, each figure's value per seed with
its median and min-max, and a one-line verdict.

The first column (the first design named, else the first integration) is the one under test:
the comparison fails (exit 1) if it violates an invariant, or fails to run, on any seed. This
module prints nothing (``sim.app.compare_view`` shows it).
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
from sim.live.clock import ClockSettings
from sim.runner import RunResult, command_line, run, write_run
from sim.scenario.draw import draw_scenario
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario

__all__ = [
    "COMPARE_FILE",
    "Integration",
    "RunOutcome",
    "columns",
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
    integration: str | None = None  # the base URL, for an external integration's run

    @property
    def failed(self) -> bool:
        return not self.ok or self.error is not None


@dataclass(frozen=True)
class Integration:
    """An external integration as a column of the comparison: its name there and base URL."""

    name: str
    url: str


def columns(designs: list[str], integrations: list[Integration]) -> list[str]:
    """The comparison's columns: the designs in the order named, then the integrations."""
    return [*designs, *(i.name for i in integrations)]


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


def _outcome(
    design: str, seed: int, folder: str, command: str, started: tuple[float, float],
    result: RunResult | None, error: str | None = None, integration: str | None = None,
) -> RunOutcome:  # fmt: skip
    by_invariant: dict[str, int] = {}
    for v in [] if result is None else result.metrics["invariants"]["violations"]:
        by_invariant[v["invariant"]] = by_invariant.get(v["invariant"], 0) + 1
    return RunOutcome(
        design=design,
        seed=seed,
        folder=folder,
        ok=result is not None and result.ok,
        violations=sum(by_invariant.values()),
        by_invariant=dict(sorted(by_invariant.items())),
        command=command,
        wall_s=round(time.perf_counter() - started[0], 3),
        cpu_s=round(time.process_time() - started[1], 3),
        error=error,
        integration=integration,
    )


def run_one(
    file: str, seed: int, design: str, swarm_draw: bool, out: str, folder: str
) -> RunOutcome:
    """Run ``design`` on ``seed`` and write its run folder ``out/folder`` (a top-level function:
    process pools pickle it). A run that raises is an outcome with its error, not a crash."""
    started = time.perf_counter(), time.process_time()
    scenario = _scenario(file)
    if swarm_draw:
        scenario = draw_scenario(scenario, seed)
    command = command_line(file, seed, design, {}) + (" --swarm-draw" if swarm_draw else "")
    try:
        result = run(scenario, seed, design)
        write_run(result, Path(out) / folder, command, file)
    except Exception as exc:  # a run that fails fails its seed; the comparison goes on
        return _outcome(design, seed, folder, command, started, None,
                        f"{type(exc).__name__}: {exc}")  # fmt: skip
    return _outcome(design, seed, folder, command, started, result)


def run_external(
    file: str, seed: int, integration: Integration, swarm_draw: bool, out: Path, folder: str,
    settings: ClockSettings,
) -> RunOutcome:  # fmt: skip
    """Run the scenario on ``seed`` against ``integration`` (``sim.live``) and write its run
    folder with ``live.json``. Its wall and CPU time are this process's: the integration's
    own CPU, in its own process, is not measured. A run the integration fails leaves
    ``live.json`` (why, and the figures so far) and ``command.txt``: an outcome with its error."""
    from sim.live.runner import IntegrationFailed, live_command, run_live, write_live

    started = time.perf_counter(), time.process_time()
    scenario = _scenario(file)
    if swarm_draw:
        scenario = draw_scenario(scenario, seed)
    command = live_command(file, seed, integration.url, {}, settings)
    command += " --swarm-draw" if swarm_draw else ""
    target = out / folder
    try:
        live = run_live(scenario, seed, integration.url, settings=settings)
        write_live(live, target, command, file)
    except Exception as exc:  # IntegrationFailed, or the sandbox's own error: the seed fails
        target.mkdir(parents=True, exist_ok=True)
        if isinstance(exc, IntegrationFailed):
            (target / "live.json").write_text(
                json.dumps(exc.live, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
        (target / "command.txt").write_text(command + "\n", encoding="utf-8")
        return _outcome(integration.name, seed, folder, command, started, None,
                        f"{type(exc).__name__}: {exc}", integration.url)  # fmt: skip
    return _outcome(integration.name, seed, folder, command, started, live.result,
                    integration=integration.url)  # fmt: skip


def compare(
    file: str,
    designs: list[str],
    seeds: range,
    out: Path,
    swarm_draw: bool = False,
    workers: int = 1,
    done: Callable[[RunOutcome], None] | None = None,
    integrations: list[Integration] | None = None,
    settings: ClockSettings | None = None,
) -> list[RunOutcome]:
    """Run every design on every seed (in ``workers`` spawned processes when more than one),
    then every integration on every seed, one run at a time in this process, writing the run
    folders under ``out``; ``done`` sees each outcome as it finishes. The outcomes come back in
    column order (``columns``), then seed order."""
    integrations = integrations or []
    settings = settings or ClockSettings()
    names = columns(designs, integrations)
    folders = design_folders(names)
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
    for integration in integrations:
        for seed in seeds:
            folder = f"{RUNS_DIR}/{folders[integration.name]}/seed-{seed}"
            outcome = run_external(file, seed, integration, swarm_draw, out, folder, settings)
            outcomes.append(outcome)
            if done is not None:
                done(outcome)
    order = {d: i for i, d in enumerate(names)}
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
    integrations: list[Integration] | None = None,
    settings: ClockSettings | None = None,
) -> dict[str, Any]:
    """What ``compare.json`` holds, read from the run folders under ``out``: the runs, then per
    column (``designs``: every column, integrations included) every figure (values per seed,
    median, min, max), its verdict and the seeds it failed to run, and the exit code (1 when
    the first column failed a seed)."""
    urls = {i.name: i.url for i in integrations or []}
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
        "integrations": urls,
        "clock": (settings or ClockSettings()).as_dict() if urls else None,
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
                "integration": urls.get(d),
                "errors": [{"seed": o.seed, "error": o.error} for o in by_design[d] if o.error],
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
