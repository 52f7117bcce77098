"""Run one scenario with one seed against one design, judge it, write the run folder.

A run has two halves: the world simulates and closes its books (``sim.world.books``), then
the record (scenario, ground truth, books, the run's facts) is judged (``sim.judge``). The
run folder holds ``metrics.json`` (deterministic), ``trace.jsonl`` (whose SHA-256 is in the
metrics), ``items.csv`` (the oracle's verdict per billable item), ``command.txt`` (the one
line that reproduces the run) and the record itself (``sim.record.folder``), from which
``q2c judge`` re-judges the run.
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
from sim.judge import judge
from sim.metrics import items_csv
from sim.oracle import OracleReport
from sim.record.folder import RunRecord, write_record
from sim.scenario.calendar import at
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
from sim.scenario.periods import billing_periods
from sim.world.books import close_books, run_facts
from sim.world.world import World

__all__ = ["RunResult", "command_line", "run", "run_scenario", "write_run"]

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
    try:  # the world's temporary store goes whatever happens
        people = hire(world)
        ops = start_firm(world)
        start_workforce(world, people)
        start_expenses(world, people)
        start_clients(world)
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


def write_run(result: RunResult, out: Path, command: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    write_record(result.record, out)
    (out / "metrics.json").write_text(metrics_json(result.metrics))
    result.world.trace.save(out / "trace.jsonl")
    (out / "items.csv").write_text(items_csv(result.report))
    (out / "command.txt").write_text(command + "\n")
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
        write_run(result, out, command_line(str(file), seed, design, dict(options or {})))
    return result
