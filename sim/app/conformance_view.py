"""``q2c contracts check`` on a terminal: Schemathesis's score per vendor and operation, then
each failure with the code that reproduces it.

``contracts.conformance`` runs the suite and returns the scores; this module only shows them.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.markup import escape
from rich.table import Table

from contracts import VENDORS
from contracts.conformance import VendorScore, run_vendor
from sim.app.terminal import console

__all__ = ["present_conformance"]


def present_conformance(
    vendors: Iterable[str], *, examples: int, seed: int, max_steps: int = 10
) -> int:
    """Run the suite for ``vendors`` (all when empty), print one table per vendor and
    operation, then each failure with its reproduction; 1 on any failure."""
    chosen = list(vendors) or list(VENDORS)
    failed = 0
    for vendor in chosen:
        score = run_vendor(vendor, examples=examples, seed=seed, max_steps=max_steps)
        _show(vendor, score)
        failed += not score.ok
    console.print(f"{len(chosen) - failed} of {len(chosen)} vendors conform.", highlight=False)
    return 1 if failed else 0


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
    passed = sum(op.checks_passed for op in score.operations.values())
    total = passed + len(score.failures)
    table.add_section()
    table.add_row(
        "total", str(sum(op.examples for op in score.operations.values())), str(passed),
        str(len(score.failures)),
    )  # fmt: skip
    console.print(table)
    console.print(
        f"{vendor}: conformance {100 * passed / max(total, 1):.2f}% "
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
