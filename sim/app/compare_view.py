"""``q2c compare`` on a terminal: the command, a progress bar while the runs go, then the
side-by-side table (each figure as median and min-max over the seeds, one column per design),
one verdict line per design, and where ``compare.json`` and ``compare.html`` are.

``--integration [NAME=]URL`` adds an external integration (issue 13, docs/live.md) as a column
after the designs; its runs go one at a time, after the designs' runs.

The engine (``sim.compare``) runs and reads back the runs and prints nothing; the HTML is built
from the comparison folder by ``reports.compare``. Imports of the simulator happen when the
command runs, so ``q2c --help`` stays light (``tests/app/test_startup.py``).
"""

from __future__ import annotations

import os
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sim.app.live_view import Budget, QuietMs, Rate
from sim.app.terminal import bad_input, console, print_json, progress_bar

if TYPE_CHECKING:
    from rich.table import Table

    from sim.compare import Integration
    from sim.live.clock import ClockSettings

__all__ = ["compare_command", "compare_summary", "compare_table", "integration_column"]


def compare_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    design: Annotated[
        list[str],
        typer.Option(
            help="A design to compare: 'reference' or module:function (repeat; at least two "
            "columns with --integration; the first design is the one under test)."
        ),
    ] = [],  # noqa: B006
    integration: Annotated[
        list[str],
        typer.Option(
            metavar="[NAME=]URL",
            help="An external integration as one more column, after the designs, named NAME "
            "or its URL (repeatable; docs/live.md). Its seeds run one at a time, after the "
            "designs' runs: one integration cannot take two runs at once. Under test only "
            "when no --design is given.",
        ),
    ] = [],  # noqa: B006
    seeds: Annotated[int, typer.Option(min=1, help="How many seeds each design runs.")] = 10,
    first: Annotated[int, typer.Option(min=0, help="The first seed.")] = 1,
    swarm_draw: Annotated[
        bool,
        typer.Option(
            "--swarm-draw",
            help="Each seed draws its faults inside the scenario's faults envelope (as q2c "
            "swarm does); every design meets the same draw on a seed.",
        ),
    ] = False,
    workers: Annotated[int, typer.Option(min=1, help="Parallel processes [default: CPUs].")] = (
        os.cpu_count() or 1
    ),
    out: Annotated[
        Path | None, typer.Option(help="Comparison folder [default: runs/compare-NAME]")
    ] = None,
    report: Annotated[bool, typer.Option(help="Also write compare.html with its charts.")] = True,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json", help="Print a JSON summary on stdout (nothing else; progress on stderr)."
        ),
    ] = False,
    rate: Rate = 60.0,
    quiet_ms: QuietMs = 200.0,
    budget: Budget = 600.0,
) -> None:
    """Run every DESIGN and INTEGRATION on SCENARIO over the same seeds and compare them side
    by side; exit 1 if the first design (else the first integration) violates an invariant or
    fails to run on any seed."""
    from sim.app.inputs import checked_inputs, output_folder
    from sim.live.clock import ClockSettings

    integrations = [integration_column(text) for text in integration]
    names = [*design, *(i.name for i in integrations)]
    if len(names) < 2:
        raise bad_input(
            "give at least two designs or integrations to compare (--design A --design B, "
            "--design A --integration URL)"
        )
    repeated = sorted({d for d in names if names.count(d) > 1})
    if repeated:
        raise bad_input(f"{repeated[0]} is named twice; name each design and integration once")
    spec = None
    for name in design or ["reference"]:  # no design: the scenario is still checked
        spec = checked_inputs(scenario, name, {})
    assert spec is not None
    folder = output_folder(out or Path("runs") / f"compare-{spec.name}", "comparison")
    settings = ClockSettings(rate=rate, quiet_s=quiet_ms / 1000, budget_s=budget)
    raise typer.Exit(
        present_compare(str(scenario), spec, design, seeds, first, swarm_draw, workers, folder,
                        report, json_out, integrations, settings)
    )  # fmt: skip


def integration_column(text: str) -> Integration:
    """``--integration [NAME=]URL`` as an ``Integration`` (named by its URL without NAME); exit
    2 unless URL is http(s)."""
    from sim.compare import Integration

    name, sep, url = text.partition("=")
    if text.startswith(("http://", "https://")) or not sep:
        name, url = text, text
    if not url.startswith(("http://", "https://")) or not name:
        raise bad_input(f"--integration expects [NAME=]URL with an http(s) URL, got {text!r}")
    return Integration(name=name, url=url)


def present_compare(
    file: str,
    spec: Any,
    designs: list[str],
    seeds: int,
    first: int,
    swarm_draw: bool,
    workers: int,
    out: Path,
    report: bool,
    as_json: bool,
    integrations: list[Integration] | None = None,
    settings: ClockSettings | None = None,
) -> int:
    """Run, write compare.json (and compare.html), show the table or the JSON; the exit code."""
    from sim.compare import RunOutcome, columns, compare, comparison, write_comparison

    integrations = integrations or []
    names = columns(designs, integrations)
    seed_range = range(first, first + seeds)
    started = time.perf_counter()
    total = len(names) * seeds
    with progress_bar("runs  {task.fields[failing]} failing (under test)") as bar:
        task = bar.add_task(f"{spec.name}: {len(names)} columns x {seeds} seeds", total=total,
                            failing=0)  # fmt: skip

        failing = 0

        def done(outcome: RunOutcome) -> None:
            nonlocal failing
            failing += outcome.failed and outcome.design == names[0]
            bar.update(task, advance=1, failing=failing)

        outcomes = compare(file, designs, seed_range, out, swarm_draw, workers, done,
                           integrations, settings)  # fmt: skip
    result = comparison(file, spec, names, seed_range, outcomes, out, swarm_draw, workers,
                        time.perf_counter() - started, integrations, settings)  # fmt: skip
    designs = names
    path = write_comparison(result, out)
    html = None
    if report:
        from reports.compare import build_compare

        html = build_compare(out)
    if as_json:
        print_json(compare_summary(result, path, html))
        return int(result["exit_code"])
    console.print(compare_table(result))
    for d in designs:
        console.print(result["designs_summary"][d]["verdict"], highlight=False, soft_wrap=True)
    for d in designs:
        for e in result["designs_summary"][d]["errors"]:
            console.print(f"  {d} seed {e['seed']} failed to run: {e['error']}", markup=False,
                          highlight=False, soft_wrap=True)  # fmt: skip
    console.print(
        f"{len(designs)} columns x {seeds} seeds in {result['wall_s']:.1f} s wall "
        f"({result['cpu_s']:.1f} s CPU in the runs, {workers} worker(s)). Comparison: {path}"
        + (f", {html}" if html else ""),
        highlight=False,
        soft_wrap=True,
    )
    failed = [o for o in result["runs"] if o["design"] == designs[0] and
              (not o["ok"] or o["error"])]  # fmt: skip
    if failed:
        console.print(f"[bold red]{designs[0]} failed on {len(failed)} seed(s); reproduce with:[/]")
        for o in failed:
            console.print(f"  {o['command']}", markup=False, highlight=False, soft_wrap=True)
        return 1
    console.print(f"[bold green]{designs[0]} holds every invariant on every seed.[/]")
    return 0


def compare_summary(result: dict[str, Any], path: Path, html: Path | None) -> dict[str, Any]:
    """``q2c compare --json``: the verdicts, each design's figures (median, min, max, the value
    per seed), the failing seeds and the files."""
    return {
        "ok": result["exit_code"] == 0,
        "exit_code": result["exit_code"],
        "scenario": result["scenario"],
        "designs": result["designs"],
        "integrations": result.get("integrations", {}),
        "seeds": result["seeds"],
        "swarm_draw": result["swarm_draw"],
        "verdicts": {d: s["verdict"] for d, s in result["designs_summary"].items()},
        "failing_seeds": {d: s["failing_seeds"] for d, s in result["designs_summary"].items()},
        "errors": {d: s.get("errors", []) for d, s in result["designs_summary"].items()},
        "figures": {d: s["figures"] for d, s in result["designs_summary"].items()},
        "wall_s": result["wall_s"],
        "cpu_s": result["cpu_s"],
        "compare_json": str(path),
        "compare_html": None if html is None else str(html),
    }


def _number(value: Any, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):  # money, as compare.json writes it
        return f"{Decimal(value):,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}" if unit == "" else f"{value:,.1f}"


def _cell(figure: dict[str, Any], seeds: int) -> str:
    # hours, days and median counts to one decimal; calls per item (a ratio) to two
    unit = "" if figure["key"].startswith("calls.") else "h"
    if figure["present"] == 0:
        return "-"
    median = _number(figure["median"], unit)
    low, high = _number(figure["min"], unit), _number(figure["max"], unit)
    text = median if low == high else f"{median} ({low}-{high})"
    if figure["present"] < seeds:
        text += f" [{figure['present']}/{seeds}]"
    return text


def _quiet(key: str, figures: list[dict[str, Any]]) -> bool:
    """A per-vendor 429/retry row that is zero for every design and seed: left out."""
    return key.startswith("vendor.") and all(f["max"] in (0, None) for f in figures)


def compare_table(result: dict[str, Any]) -> Table:
    """Figures down, designs across; each cell the median over the seeds, then (min-max) when
    they differ, then [seeds with a value/seeds] when some have none."""
    from rich.table import Table

    designs = result["designs"]
    seeds = len(result["seeds"])
    urls = result.get("integrations", {})
    title = f"{result['scenario']}: {len(designs)} columns x {seeds} seeds"
    if result["swarm_draw"]:
        title += " (faults drawn per seed)"
    table = Table(title=title, caption="median (min-max) over the seeds")
    table.add_column("figure")
    for d in designs:
        marks = [m for m, on in (("external", d in urls), ("under test", d == designs[0])) if on]
        table.add_column(d + (f" ({', '.join(marks)})" if marks else ""), justify="right",
                         overflow="fold")  # fmt: skip
    summaries = [result["designs_summary"][d] for d in designs]
    if any(s.get("errors") for s in summaries):
        table.add_row("seeds failed to run",
                      *(f"{len(s.get('errors', []))} of {seeds}" for s in summaries),
                      end_section=True)  # fmt: skip
    quiet = 0
    rows = result["figures"]
    for index, spec in enumerate(rows):
        cells = [result["designs_summary"][d]["figures"][spec["key"]] for d in designs]
        if _quiet(spec["key"], cells):
            quiet += 1
            continue
        label = spec["label"] + (f" ({spec['unit']})" if spec["unit"] in ("h", "days", "s") else "")
        last = index + 1 == len(rows) or rows[index + 1]["group"] != spec["group"]
        table.add_row(label, *(_cell(c, seeds) for c in cells), end_section=last)
    if quiet:
        table.add_row("other vendors' 429s and retries", *("0" for _ in designs))
    return table
