"""The two terminals every command writes to, and the one way bad input is reported.

Results go to stdout (``console``), progress bars and problems to stderr (``errors``), so
``q2c ... > file`` keeps the result and still shows the user what went wrong. With ``--json`` a
command's result is one JSON document on stdout (``print_json``) and nothing else. Kept apart from
``cli`` so the views (``run_view``, ``swarm_view``, ``contracts_view``) share them without
importing the command table.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["bad_input", "console", "errors", "print_json", "progress_bar"]

console = Console(emoji=False)
errors = Console(stderr=True, emoji=False)


def bad_input(message: str) -> typer.Exit:
    """Say what is wrong with the input on stderr; the ``Exit(2)`` to raise."""
    # The message quotes the user's input: escape it so '[' is text, not rich markup.
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(2)


def print_json(summary: dict[str, Any]) -> None:
    """``summary`` as the only thing on stdout (``--json``): indented JSON with sorted keys and a
    final newline, never wrapped, whatever the terminal."""
    sys.stdout.write(json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def progress_bar(unit: str) -> Progress:
    """The one progress bar every long command shows on stderr, gone when done: description,
    bar, done/total, ``unit`` (a rich template: it may name the task's fields), elapsed time."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    )
