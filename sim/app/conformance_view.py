"""``q2c contracts check`` on a terminal: a progress bar on stderr while Schemathesis runs, then
its score per vendor and operation and each failure with the code that reproduces it (or, with
``--json``, the same as one JSON document on stdout).

``contracts.conformance`` runs the suite and returns the scores; this module only shows them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.markup import escape
from rich.table import Table

from contracts import VENDORS
from contracts.conformance import VendorScore, run_vendor
from sim.app.terminal import console, print_json, progress_bar

__all__ = ["present_conformance"]


def present_conformance(
    vendors: Iterable[str], *, examples: int, seed: int, max_steps: int = 10, as_json: bool = False
) -> int:
    """Run the suite for ``vendors`` (all when empty), print one table per vendor and
    operation, then each failure with its reproduction (or, ``as_json``, one JSON summary);
    1 on any failure."""
    chosen = list(vendors) or list(VENDORS)
    scores: list[VendorScore] = []
    with progress_bar("vendors  {task.fields[scenarios]} scenarios") as bar:
        task = bar.add_task("contracts check", total=len(chosen), scenarios=0)
        done = 0

        def scenario_finished() -> None:
            nonlocal done
            done += 1
            bar.update(task, scenarios=done)

        for vendor in chosen:
            bar.update(task, description=f"contracts check: {vendor}")
            scores.append(
                run_vendor(
                    vendor, examples=examples, seed=seed, max_steps=max_steps,
                    progress=scenario_finished,
                )
            )  # fmt: skip
            bar.advance(task)
    failed = sum(not score.ok for score in scores)
    if as_json:
        print_json(conformance_summary(scores))
        return 1 if failed else 0
    for score in scores:
        _show(score.vendor, score)
    console.print(f"{len(chosen) - failed} of {len(chosen)} vendors conform.", highlight=False)
    return 1 if failed else 0


def _conformance(score: VendorScore) -> tuple[int, float]:
    passed = sum(op.checks_passed for op in score.operations.values())
    return passed, round(100 * passed / max(passed + len(score.failures), 1), 2)


def conformance_summary(scores: list[VendorScore]) -> dict[str, Any]:
    """``q2c contracts check --json``'s summary: per vendor its score, operations, requests,
    each failure with the code that reproduces it, and errors."""
    vendors: dict[str, Any] = {}
    for score in scores:
        passed, percent = _conformance(score)
        vendors[score.vendor] = {
            "ok": score.ok,
            "conformance_percent": percent,
            "operations": len(score.operations),
            "examples": sum(op.examples for op in score.operations.values()),
            "requests": score.requests,
            "checks_passed": passed,
            "seconds": round(score.seconds, 3),
            "failures": [
                {
                    "operation": f.operation,
                    "check": f.check,
                    "title": f.title,
                    "message": f.message,
                    "reproduce": f.reproduce,
                    "response": f.response,
                }
                for f in score.failures
            ],
            "errors": list(score.errors),
        }
    failed = sorted(s.vendor for s in scores if not s.ok)
    return {
        "ok": not failed,
        "exit_code": 1 if failed else 0,
        "vendors_checked": len(scores),
        "vendors_failing": failed,
        "vendors": vendors,
    }


def _show(vendor: str, score: VendorScore) -> None:
    table = Table(
        title=f"{vendor}: {len(score.operations)} operations, {score.requests} requests, "
        f"{score.seconds:.1f} s",
        title_justify="left",
    )
    table.add_column("operation", overflow="fold")
    table.add_column("examples", justify="right")
    table.add_column("checks passed", justify="right")
    table.add_column("failures", justify="right")
    for label, op in score.operations.items():
        style = "bold red" if op.failures else "green"
        table.add_row(
            escape(label), str(op.examples), str(op.checks_passed),
            f"[{style}]{len(op.failures)}[/]",
        )  # fmt: skip
    passed, percent = _conformance(score)
    table.add_section()
    table.add_row(
        "total", str(sum(op.examples for op in score.operations.values())), str(passed),
        str(len(score.failures)),
    )  # fmt: skip
    console.print(table)
    console.print(
        f"{vendor}: conformance {percent:.2f}% "
        f"({len(score.failures)} failures, {len(score.errors)} errors)",
        highlight=False,
    )
    for failure in score.failures:
        console.print(
            f"[bold red]FAIL[/] {escape(failure.operation)}: {escape(failure.check)}: "
            f"{escape(failure.title)}\n{escape(failure.message)}\n{escape(failure.reproduce)}"
            f"\n-> {escape(failure.response)}",
            highlight=False,
            soft_wrap=True,
        )
    for error in score.errors:
        console.print(f"[bold red]ERROR[/] {escape(error)}", highlight=False, soft_wrap=True)
