"""``q2c contracts diff`` on a terminal: one table row per edit, breaking ones in red.

Light on purpose: it needs only ``contracts.diff`` (and YAML), never the mocks or the
simulator, so comparing two specs in CI starts in a fraction of a second.
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from contracts.diff import Change, summarize
from sim.app.terminal import console

__all__ = ["show_diff"]


def show_diff(old: Path, new: Path, changes: list[Change]) -> int:
    """Print the changes from ``old`` to ``new`` and their count; 1 if any breaks a client."""
    breaking = sum(c.kind == "breaking" for c in changes)
    edits = summarize(changes)
    if changes:
        table = Table(title=f"{old} -> {new}")
        table.add_column("kind")
        table.add_column("where", overflow="fold")
        table.add_column("what", overflow="fold")
        for edit in edits:
            style = "bold red" if edit.change.kind == "breaking" else "green"
            table.add_row(
                f"[{style}]{edit.change.kind}[/]", escape(edit.where), escape(edit.change.what)
            )
        console.print(table)
    console.print(
        f"{breaking} breaking, {len(changes) - breaking} non-breaking change(s)"
        + (f" from {len(edits)} edit(s)." if len(edits) != len(changes) else "."),
        highlight=False,
    )
    return 1 if breaking else 0
