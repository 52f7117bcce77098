"""Run one scenario with one seed against one design, judge it, write the run folder.

A run has two halves: the world simulates and closes its books (``sim.world.books``), then
the record (scenario, ground truth, books, the run's facts) is judged (``sim.judge``). The
run folder holds ``metrics.json`` (deterministic), ``trace.jsonl`` (whose SHA-256 is in the
metrics), ``items.csv`` (the oracle's verdict per billable item), ``command.txt`` (the one
line that reproduces the run), ``about.json`` (what the scenario file says beyond its data: the
business question it answers) and the record itself (``sim.record.folder``), from which
``q2c judge`` re-judges the run. Writing a run into a folder that held another removes what
was built from the other (its report, PDF and invoice register), so nothing stale is left
beside the new run's files.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.firm.actors import start_firm
from sim.firm.clients import start_clients
from sim.firm.expenses import start_expenses
from sim.firm.operations import resilience_metrics
from sim.firm.workforce import hire, start_workforce
from sim.heap import LeanHeap
from sim.judge import judge
from sim.metrics import items_csv
from sim.oracle import OracleReport
from sim.record.folder import RunRecord, write_record
from sim.scenario.calendar import at
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
from sim.scenario.periods import billing_periods
from sim.scenario.question import business_question
from sim.world.books import close_books, run_facts
from sim.world.world import World

__all__ = [
    "ABOUT_FILE",
    "BUILT_FILES",
    "RunResult",
    "command_line",
    "run",
    "run_scenario",
    "write_run",
]

ABOUT_FILE = "about.json"
BUILT_FILES = (
    "report.html",
    "report.pdf",
    "invoice-register.parquet",
    "invoice-register.csv",
)
"""Built from a run folder by ``reports`` (``q2c report``); a new run in the folder removes
them, and ``q2c report`` writes them again from the new run's files."""

Progress = Callable[[int, int], None]  # (simulated days done, days in all)


@dataclass
class RunResult:
    metrics: dict[str, Any]
    report: OracleReport
    world: World
    record: RunRecord
    out: Path | None = None

    @property
    def ok(self) -> bool:
        return bool(self.metrics["invariants"]["ok"])


def run(
    scenario: Scenario,
    seed: int,
    design: str = "reference",
    options: dict[str, str] | None = None,
    progress: Progress | None = None,
    doctor: Callable[[World], None] | None = None,
) -> RunResult:
    """Simulate, close the books and judge them; ``doctor`` may tamper with the world before
    its books are closed (tests do)."""
    world = World(scenario, seed, design, dict(options or {}))
    heap = LeanHeap()
    try:  # the world's temporary store goes whatever happens
        people = hire(world)
        ops = start_firm(world)
        start_workforce(world, people)
        start_expenses(world, people)
        start_clients(world)
        heap.tune()  # the world is built: young collections made rarer (sim.heap)
        runs = billing_periods(world.scenario, world.calendar)
        end = at(scenario.ends, 23, 59)
        if runs:
            end = max(end, at(runs[-1][1], 23, 59))
        days = (end - world.epoch).days + 1
        for day in range(1, days + 1):
            world.env.run(until=min(day * 86400.0, (end - world.epoch).total_seconds()))
            if progress is not None:
                progress(day, days)
        world.finish()
        if doctor is not None:
            doctor(world)
        books = close_books(world)  # the core's exception queue is read first, as before
        facts = run_facts(world, len(people))
        facts.resilience = resilience_metrics(world, ops)
        record = RunRecord(scenario, world.truth, books, facts)
        judgement = judge(record.scenario, record.truth, record.books, record.facts)
        return RunResult(judgement.metrics, judgement.report, world, record)
    finally:
        heap.release()
        world.close()


def command_line(
    scenario_file: str,
    seed: int,
    design: str,
    options: dict[str, str],
    swarm_draw: bool = False,
) -> str:
    """The one ``q2c run`` line that reruns this run (``command.txt``) or, with ``swarm_draw``,
    this swarm seed with the faults it drew. A run's line always names its design; the
    swarm's, printed for a person to paste, leaves out the default one."""
    parts = ["q2c", "run", scenario_file, "--seed", str(seed)]
    if swarm_draw:
        parts.append("--swarm-draw")
    if not swarm_draw or design != "reference":
        parts += ["--design", design]
    for key, value in sorted(options.items()):
        parts += ["--option", f"{key}={value}"]
    return shlex.join(parts)


def metrics_json(metrics: dict[str, Any]) -> str:
    """``metrics.json`` as written: sorted keys, two-space indent, a final newline."""
    return json.dumps(metrics, indent=2, sort_keys=True) + "\n"


def about_json(scenario_file: str | Path | None) -> str:
    """``about.json``: the scenario file the run was given and the business question its
    opening comment asks (null when it states none), so the folder carries them itself."""
    question = None
    if scenario_file is not None and Path(scenario_file).is_file():
        question = business_question(scenario_file) or None
    about = {
        "business_question": question,
        "scenario_file": None if scenario_file is None else str(scenario_file),
    }
    return json.dumps(about, indent=2, sort_keys=True) + "\n"


def write_run(
    result: RunResult, out: Path, command: str, scenario_file: str | Path | None = None
) -> Path:
    """Write the run folder ``out``; ``scenario_file`` is the YAML the run was given (for
    ``about.json``). Removes the report files an earlier run left in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    for name in BUILT_FILES:
        (out / name).unlink(missing_ok=True)
    write_record(result.record, out)
    (out / "metrics.json").write_text(metrics_json(result.metrics))
    result.world.trace.save(out / "trace.jsonl")
    (out / "items.csv").write_text(items_csv(result.report))
    (out / "command.txt").write_text(command + "\n")
    (out / ABOUT_FILE).write_text(about_json(scenario_file))
    result.out = out
    return out


def run_scenario(
    file: str | Path,
    seed: int,
    design: str = "reference",
    options: dict[str, str] | None = None,
    out: Path | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Load, run, judge and (if ``out``) write the run folder."""
    scenario = load_scenario(file)
    result = run(scenario, seed, design, options, progress)
    if out is not None:
        command = command_line(str(file), seed, design, dict(options or {}))
        write_run(result, out, command, file)
    return result
