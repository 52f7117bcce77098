"""``q2c swarm`` on a terminal: a progress bar while the seeds run, then a table per seed, the
faults that fired, and the one line that reproduces each failing seed.

The engine (``sim.swarm``) runs and judges the seeds and prints nothing; this module only shows
what it returns and writes ``swarm.json`` through it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from sim.app.terminal import console, print_json, progress_bar
from sim.scenario import Scenario
from sim.swarm import SeedOutcome, swarm, swarm_report, write_swarm

__all__ = ["SHOWN_ROWS", "present_swarm"]

SHOWN_ROWS = 50  # beyond this many seeds the table shows the failing ones only


def present_swarm(
    file: str,
    scenario: Scenario,
    seeds: range,
    design: str,
    options: dict[str, str],
    workers: int,
    out: Path,
    as_json: bool = False,
    cluster: str | None = None,
) -> int:
    """``q2c swarm``'s body: progress, table, swarm.json, reproduce lines; the exit code.
    With ``as_json`` the summary is printed as JSON (``swarm_summary``) instead of the table.
    With ``cluster`` the seeds run on that Dask cluster (``workers`` is then unused);
    ``sim._cluster.ClusterError`` is raised before anything is written if it is unusable."""
    started = time.perf_counter()
    with progress_bar("seeds  {task.fields[failing]} failing") as bar:
        task = bar.add_task(f"{scenario.name} x {len(seeds)} seeds", total=len(seeds), failing=0)
        failing = 0

        def done(outcome: SeedOutcome) -> None:
            nonlocal failing
            failing += outcome.failed
            bar.update(task, advance=1, failing=failing)

        outcomes = swarm(file, seeds, design, options, workers, done, cluster)
    report = swarm_report(
        file, scenario, outcomes, design, options, workers, time.perf_counter() - started, cluster
    )
    path = write_swarm(report, out)
    if as_json:
        summary = swarm_summary(report, path)
        print_json(summary)
        return int(summary["exit_code"])
    console.print(_table(scenario, outcomes))
    summary = report["summary"]
    fired = ", ".join(f"{k} {n}" for k, n in summary["faults_fired"].items()) or "none"
    console.print(f"Faults fired over the swarm: {fired}", highlight=False, soft_wrap=True)
    failed = [o for o in outcomes if o.failed]
    where = f"cluster {cluster}" if cluster else f"{workers} worker(s)"
    console.print(
        f"{len(outcomes)} seeds, {len(failed)} failing, {summary['violations']} violations, "
        f"{summary['wall_s']:.1f} s wall on {where}. Report: {path}",
        highlight=False,
        soft_wrap=True,
    )
    if failed:
        if summary["design_failed_seeds"]:
            console.print(
                f"[bold red]The design failed on seed(s) {summary['design_failed_seeds']}[/] "
                "(it raised, answered in a wrong shape or never answered; exit 3)."
            )
        console.print("[bold red]Reproduce a failing seed with:[/]")
        for o in failed:
            console.print(f"  {o.command}", markup=False, highlight=False, soft_wrap=True)
        return int(summary["exit_code"])
    console.print("[bold green]Every invariant holds on every seed.[/]")
    return 0


def swarm_summary(report: dict[str, Any], path: Path) -> dict[str, Any]:
    """``q2c swarm --json``'s summary: the totals of ``swarm.json`` and each failing seed with
    its violations and the line that reproduces it."""
    summary = report["summary"]
    failing = [s for s in report["seeds"] if s["violations"] or s["error"]]
    return {
        "ok": not failing,
        "exit_code": summary["exit_code"],
        "scenario": report["scenario"],
        "file": report["file"],
        "design": report["design"],
        "seeds": summary["seeds"],
        "violations": summary["violations"],
        "faults_fired": summary["faults_fired"],
        "failing": [
            {
                "seed": s["seed"],
                "violations": s["violations"],
                "by_invariant": s["by_invariant"],
                "error": s["error"],
                "reproduce": s["command"],
            }
            for s in sorted(failing, key=lambda s: s["seed"])
        ],
        "wall_s": summary["wall_s"],
        "swarm_json": str(path),
    }


def _table(scenario: Scenario, outcomes: list[SeedOutcome]) -> Table:
    shown = outcomes if len(outcomes) <= SHOWN_ROWS else [o for o in outcomes if o.failed]
    hidden = len(outcomes) - len(shown)
    title = f"swarm: {scenario.name}"
    if hidden:
        title += f" ({hidden} passing seeds not shown; see swarm.json)"
    table = Table(title=title)
    for name in ("seed", "faults drawn", "faults fired", "violations",
                 "leaked/dup/mis", "wall s"):  # fmt: skip
        table.add_column(name, justify="right" if name in ("seed", "violations", "wall s")
                         else "left", overflow="fold")  # fmt: skip
    for o in shown:
        violations = o.error or str(o.violations)
        style = "red" if o.failed else ""
        table.add_row(
            str(o.seed),
            ", ".join(o.drawn) or "-",
            ", ".join(f"{k} {n}" for k, n in o.fired.items()) or "-",
            f"[{style}]{escape(violations)}[/]" if style else violations,
            f"{o.leaked}/{o.duplicated}/{o.misbilled}",
            f"{o.wall_s:.2f}",
        )
    return table
