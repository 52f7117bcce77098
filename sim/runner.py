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

A design that fails (``sim.world.design_guard.DesignFailure``: it raised, answered in a wrong
shape or never answered) ends the run: ``run`` raises the failure with what the run had done
attached (``PartialRun``), and ``write_failed_run`` writes what can honestly be written: the
scenario, the ground truth and the trace up to the failure, the run's facts so far,
``design-error.txt`` (the message and the traceback) and ``design-error.json``; no books and
no ``metrics.json``, since a run the design did not finish cannot be judged.
"""

from __future__ import annotations

import gc
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
from sim.firm.workforce import Consultant, hire, start_workforce
from sim.heap import LeanHeap
from sim.judge import judge
from sim.metrics import write_items_csv
from sim.oracle import OracleReport
from sim.record.books import BOOK_FILES, FACTS_FILE
from sim.record.folder import BOOKS_DIR, SCENARIO_FILE, TRUTH_DIR, RunRecord, write_record
from sim.record.trace import Trace
from sim.record.truth_files import TRUTH_FILES, write_truth
from sim.scenario.calendar import at
from sim.scenario.format import Scenario
from sim.scenario.loader import load_scenario
from sim.scenario.periods import billing_periods
from sim.scenario.question import business_question
from sim.world.books import close_books, run_facts
from sim.world.design_guard import CALL_BUDGET_S, DesignFailure
from sim.world.world import World

__all__ = [
    "ABOUT_FILE",
    "BUILT_FILES",
    "DESIGN_ERROR_FILES",
    "DESIGN_FAILED",
    "PartialRun",
    "RunResult",
    "command_line",
    "run",
    "run_scenario",
    "write_failed_run",
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
DESIGN_ERROR_FILES = ("design-error.txt", "design-error.json")
"""What a failed design leaves in the run folder (a later run there removes them)."""
DESIGN_FAILED = 3
"""The exit code of a run whose design failed (0: every invariant holds, 1: one is violated,
2: bad input)."""

Progress = Callable[[int, int], None]  # (simulated days done, days in all)


@dataclass
class RunResult:
    """A judged run. ``world`` is the world it ran in, kept for a caller that inspects it
    (tests do) and None when ``run`` was told not to keep it (``keep_world=False``: the
    command line, swarms and comparisons, which need only what the run folder gets); the
    trace and a batch design's files are kept apart from it, for ``write_run``."""

    metrics: dict[str, Any]
    report: OracleReport
    world: World | None
    record: RunRecord
    out: Path | None = None
    trace: Trace | None = None
    batch_files: dict[str, bytes] | None = None

    def __post_init__(self) -> None:
        if self.trace is None and self.world is not None:
            self.trace = self.world.trace
        if self.batch_files is None and self.world is not None:
            self.batch_files = _batch_files(self.world)

    @property
    def ok(self) -> bool:
        return bool(self.metrics["invariants"]["ok"])


def _batch_files(world: World) -> dict[str, bytes] | None:
    """A batch design's batch files (``batch_files()``), the run folder's ``batches/``; None
    for a design that keeps none."""
    files = getattr(world.core, "batch_files", None)
    return dict(files()) if callable(files) else None


@dataclass
class PartialRun:
    """What a run had done when its design failed: the world stopped there (None when the
    design failed before the world existed), and the firm's headcount."""

    scenario: Scenario
    world: World | None
    consultants: int = 0


def run(
    scenario: Scenario,
    seed: int,
    design: str = "reference",
    options: dict[str, str] | None = None,
    progress: Progress | None = None,
    doctor: Callable[[World], None] | None = None,
    call_budget_s: float = CALL_BUDGET_S,
    keep_world: bool = True,
) -> RunResult:
    """Simulate, close the books and judge them; ``doctor`` may tamper with the world before
    its books are closed (tests do). A failing design raises ``DesignFailure`` with its
    ``partial`` run attached (``write_failed_run`` writes it); ``call_budget_s`` is the
    wall-clock time one call to the design may take (``sim.world.design_guard``).

    With ``keep_world=False`` the world (the mocks, the core, the SimPy clock) is let go once
    its books are closed, before the oracle judges: of a big run's memory only the record,
    the trace and a batch design's files are left (issue 14); ``RunResult.world`` is None."""
    try:
        world = World(scenario, seed, design, dict(options or {}), call_budget_s)
    except DesignFailure as failure:
        failure.partial = PartialRun(scenario, None)
        raise
    people: list[Consultant] = []
    heap = LeanHeap()
    try:
        heap.tune()  # the world is built: young collections made rarer (sim.heap)
        try:
            record = _simulate(world, scenario, people, progress, doctor)
        except DesignFailure as failure:
            failure.partial = PartialRun(scenario, world, len(people))
            raise
        finally:  # the world's temporary store goes whatever happens
            world.close()
        trace, files = world.trace, _batch_files(world)
        kept = world if keep_world else None
        if kept is None:
            trace.detach()  # its clock is the world's
        del world, people
        if kept is None:
            gc.collect()  # the world is a web of cycles (clock, processes, core, mocks)
        judgement = judge(record.scenario, record.truth, record.books, record.facts)
        return RunResult(judgement.metrics, judgement.report, kept, record,
                         trace=trace, batch_files=files)  # fmt: skip
    finally:
        heap.release()


def _simulate(
    world: World,
    scenario: Scenario,
    people: list[Consultant],
    progress: Progress | None,
    doctor: Callable[[World], None] | None,
) -> RunRecord:
    """The run itself, up to its record; ``people`` is filled as soon as the firm has hired
    (a failure report counts them)."""
    people.extend(hire(world))
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
    return RunRecord(scenario, world.truth, books, facts)


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
    for name in (*BUILT_FILES, *DESIGN_ERROR_FILES):
        (out / name).unlink(missing_ok=True)
    write_record(result.record, out)
    (out / "metrics.json").write_text(metrics_json(result.metrics))
    if result.trace is not None:
        result.trace.save(out / "trace.jsonl")
    with (out / "items.csv").open("w", encoding="utf-8", newline="") as items:
        write_items_csv(result.report, items)
    (out / "command.txt").write_text(command + "\n")
    (out / ABOUT_FILE).write_text(about_json(scenario_file))
    if result.batch_files is not None:  # a batch design's batch files
        (out / "batches").mkdir(exist_ok=True)
        for name, content in sorted(result.batch_files.items()):
            (out / "batches" / name).write_bytes(content)
    result.out = out
    return out


def write_failed_run(
    failure: DesignFailure, out: Path, command: str, scenario_file: str | Path | None = None
) -> Path:
    """Write what a run whose design failed leaves (see the module's docstring) into ``out``,
    removing what an earlier run there left that this one cannot stand behind (its metrics,
    items, books and report)."""
    out.mkdir(parents=True, exist_ok=True)
    stale = [*BUILT_FILES, "metrics.json", "items.csv", "trace.jsonl", FACTS_FILE]
    stale += [f"{BOOKS_DIR}/{name}" for name in BOOK_FILES.values()]
    stale += [SCENARIO_FILE, *(f"{TRUTH_DIR}/{name}" for name in TRUTH_FILES)]
    for name in stale:
        (out / name).unlink(missing_ok=True)
    text = f"{failure}\n\n{failure.details}".rstrip() + "\n"
    (out / DESIGN_ERROR_FILES[0]).write_text(text, encoding="utf-8")
    about = {**failure.as_dict(), "exit_code": DESIGN_FAILED}
    (out / DESIGN_ERROR_FILES[1]).write_text(json.dumps(about, indent=2, sort_keys=True) + "\n")
    partial = failure.partial if isinstance(failure.partial, PartialRun) else None
    if partial is not None:
        scenario = partial.scenario.model_dump_json(by_alias=True, indent=2)
        (out / SCENARIO_FILE).write_text(scenario + "\n", encoding="utf-8")
    if partial is not None and partial.world is not None:
        world = partial.world
        world.trace.save(out / "trace.jsonl")
        write_truth(world.truth, out / TRUTH_DIR)
        facts = run_facts(world, partial.consultants)
        (out / FACTS_FILE).write_text(facts.to_json(), encoding="utf-8")
    (out / "command.txt").write_text(command + "\n")
    (out / ABOUT_FILE).write_text(about_json(scenario_file))
    return out


def run_scenario(
    file: str | Path,
    seed: int,
    design: str = "reference",
    options: dict[str, str] | None = None,
    out: Path | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Load, run, judge and (if ``out``) write the run folder (a failed design's too, then
    its ``DesignFailure`` goes on up)."""
    scenario = load_scenario(file)
    command = command_line(str(file), seed, design, dict(options or {}))
    try:
        result = run(scenario, seed, design, options, progress)
    except DesignFailure as failure:
        if out is not None:
            write_failed_run(failure, out, command, file)
        raise
    if out is not None:
        write_run(result, out, command, file)
    return result
