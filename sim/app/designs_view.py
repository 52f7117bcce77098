"""``q2c designs``: the designs a run can name, and where each comes from.

Built-in designs live in this project (``sim.world.designs.DESIGNS``); installed packages add
theirs under the ``q2c.designs`` entry-point group. A Python file (``path/to/file.py:factory``)
or an importable ``module:function`` needs no registration, so it is not listed.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["designs_app"]

designs_app = typer.Typer(no_args_is_help=True, help="List the designs a run can use.")


@designs_app.command("list")
def list_designs(
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the list as JSON on stdout (nothing else).")
    ] = False,
) -> None:
    """List built-in designs and those installed packages register (entry-point group
    q2c.designs), with what each points at and where it comes from."""
    from rich.table import Table

    from sim.app.terminal import console, print_json
    from sim.world.designs import ENTRY_POINT_GROUP, available_designs

    designs = available_designs()
    if json_out:
        print_json({
            "designs": [
                {"name": d.name, "target": d.target, "source": d.source, "shadowed": d.shadowed}
                for d in designs
            ],
            "entry_point_group": ENTRY_POINT_GROUP,
        })  # fmt: skip
        return
    table = Table(title="Designs (q2c run --design NAME)")
    table.add_column("name")
    table.add_column("factory")
    table.add_column("from")
    for d in designs:
        source = f"{d.source} (hidden by the built-in name)" if d.shadowed else d.source
        table.add_row(d.name, d.target, source)
    console.print(table)
    console.print(
        f"Also: --design path/to/file.py:factory or --design package.module:function. "
        f"Packages register designs under the entry-point group {ENTRY_POINT_GROUP!r}; "
        "the protocol is docs/designs.md and contracts/design.yaml.",
        markup=False, highlight=False,
    )  # fmt: skip
