"""The two terminals every command writes to, and the one way bad input is reported.

Results go to stdout (``console``), progress bars and problems to stderr (``errors``), so
``q2c ... > file`` keeps the result and still shows the user what went wrong. Kept apart from
``cli`` so the views (``run_view``, ``swarm_view``, ``contracts_view``) share them without
importing the command table.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

__all__ = ["bad_input", "console", "errors"]

console = Console(emoji=False)
errors = Console(stderr=True, emoji=False)


def bad_input(message: str) -> typer.Exit:
    """Say what is wrong with the input on stderr; the ``Exit(2)`` to raise."""
    # The message quotes the user's input: escape it so '[' is text, not rich markup.
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(2)
