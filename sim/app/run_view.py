"""``q2c run`` on a terminal: a progress bar in simulated days while the run goes, then the
summary table, the invariants that broke and the line that reproduces the run; or, when the
design under test failed, what it did, on which call, and where its traceback is (exit 3).

The runner (``sim.runner``) simulates, judges and writes the run folder; it prints nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from sim.app.terminal import console, errors, print_json, progress_bar
from sim.runner import DESIGN_ERROR_FILES, DESIGN_FAILED, RunResult, run, write_failed_run
from sim.scenario import Scenario
from sim.world.design_guard import CALL_BUDGET_S, DesignFailure

__all__ = ["design_failed", "run_summary", "run_with_progress", "show_summary"]


def run_with_progress(
    spec: Scenario,
    seed: int,
    design: str,
    options: dict[str, str],
    call_budget_s: float = CALL_BUDGET_S,
) -> RunResult:
    """``sim.runner.run`` with a transient progress bar on stderr; the world is not kept (the
    run folder is written from the record, the trace and the batch files alone)."""
    with progress_bar("simulated days") as bar:
        task = bar.add_task(f"{spec.name} seed {seed}", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return run(
            spec, seed, design, options, progress, call_budget_s=call_budget_s, keep_world=False
        )


def design_failed(
    failure: DesignFailure,
    folder: Path | None,
    command: str,
    scenario_file: Path | None,
    as_json: bool,
) -> int:
    """Write what the failed run leaves in ``folder`` (when there is one), say what the design
    did on which call and where the traceback is; the exit code (3)."""
    if folder is not None:
        write_failed_run(failure, folder, command, scenario_file)
    traceback_file = folder / DESIGN_ERROR_FILES[0] if folder is not None else None
    if as_json:
        print_json({
            "ok": False,
            "exit_code": DESIGN_FAILED,
            "design_error": failure.as_dict(),
            "run_folder": None if folder is None else str(folder),
            "files": {
                name: str(folder / name)
                for name in (*DESIGN_ERROR_FILES, "trace.jsonl")
                if folder is not None and (folder / name).is_file()
            },
            "reproduce": command,
        })  # fmt: skip
        return DESIGN_FAILED
    errors.print(f"[bold red]The design failed[/] (exit {DESIGN_FAILED}):", highlight=False)
    errors.print(str(failure), markup=False, highlight=False, soft_wrap=True)
    if traceback_file is not None:
        errors.print(
            f"Details and traceback: {traceback_file}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        errors.print(f"Run folder (up to the failure): {folder}", markup=False, highlight=False,
                     soft_wrap=True)  # fmt: skip
    elif failure.details:
        errors.print(failure.details.rstrip(), markup=False, highlight=False, soft_wrap=True)
    errors.print(f"Reproduce with: {command}", markup=False, highlight=False, soft_wrap=True)
    return DESIGN_FAILED


def show_summary(m: dict[str, Any], folder: Path) -> None:
    """A run's figures (its ``metrics.json``) as a table, then its violations (the first 20)
    or that all hold."""
    table = Table(title=f"{m['scenario']} - seed {m['seed']} - design {m['design']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    items = m["items"]
    for key in ("billable", "correct", "leaked", "duplicated", "misbilled", "held"):
        table.add_row(f"items {key}", f"{items[key]:,}")
    table.add_row("accuracy by count", f"{m['accuracy']['by_count']:.4%}")
    table.add_row("accuracy by amount", f"{m['accuracy']['by_amount']:.4%}")
    for currency, amounts in m["amounts"].items():
        table.add_row(f"billable {currency}", f"{amounts['billable']}")
        table.add_row(f"invoiced {currency}", f"{amounts['invoiced']}")
    table.add_row("invoices / lines", f"{m['invoices']['count']} / {m['invoices']['lines']:,}")
    p = m["cycle_times_hours"]["time_approved_to_invoiced"]
    if p["count"]:
        table.add_row("approved -> invoiced p50/p95 (h)", f"{p['p50']:.1f} / {p['p95']:.1f}")
    calls = ", ".join(f"{v} {n}" for v, n in m["api_calls"].items())
    table.add_row("API calls", calls)
    table.add_row("calls per billable item", f"{m['calls_per_billable_item']}")
    table.add_row("simulated events", f"{m['simulation']['events']:,}")
    table.add_row("trace sha256", m["trace_sha256"][:16] + "...")
    console.print(table)
    violations = m["invariants"]["violations"]
    if violations:
        console.print(f"[bold red]{len(violations)} invariant violation(s):[/]")
        for v in violations[:20]:
            console.print(f"  {v['invariant']}: {v['item']} - {v['detail']}", markup=False)
        if len(violations) > 20:
            console.print(f"  ... and {len(violations) - 20} more in {folder / 'metrics.json'}")
        # one unwrapped line, whatever the terminal's width or a pipe's: it is pasted, not read
        command = (folder / "command.txt").read_text().strip()
        console.print(f"Reproduce with: {command}", markup=False, highlight=False, soft_wrap=True)
    else:
        console.print("[bold green]All invariants hold.[/]")
    console.print(f"Run folder: {folder}", markup=False, highlight=False, soft_wrap=True)


def run_summary(m: dict[str, Any], folder: Path, report: bool) -> dict[str, Any]:
    """``q2c run --json``'s summary: the verdict, the counts and amounts per currency, the
    broken invariants, where the files are and the line that reproduces the run."""
    violations = m["invariants"]["violations"]
    broken: dict[str, int] = {}
    for v in violations:
        broken[v["invariant"]] = broken.get(v["invariant"], 0) + 1
    ok = bool(m["invariants"]["ok"])
    files = ("report.html", "report.pdf") if report else ()
    return {
        "ok": ok,
        "exit_code": 0 if ok else 1,
        "scenario": m["scenario"],
        "seed": m["seed"],
        "design": m["design"],
        "items": m["items"],
        "accuracy": m["accuracy"],
        "amounts": m["amounts"],
        "violations": len(violations),
        "broken_invariants": dict(sorted(broken.items())),
        "trace_sha256": m["trace_sha256"],
        "run_folder": str(folder),
        "files": {
            name: str(folder / name)
            for name in ("metrics.json", "items.csv", *files)
            if (folder / name).is_file()
        },
        "reproduce": (folder / "command.txt").read_text().strip(),
    }
