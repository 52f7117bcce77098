"""``q2c scenarios``: validate scenario files (every problem with its file, line and field
path), print the format as JSON Schema, list a folder with each file's business question."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.app.terminal import bad_input, console, errors

if TYPE_CHECKING:
    from sim.scenario import ScenarioError

__all__ = ["business_question", "scenario_problems", "scenarios_app"]

scenarios_app = typer.Typer(no_args_is_help=True, help="Validate, list and describe scenarios.")


def scenario_problems(exc: ScenarioError) -> None:
    """Every problem on its own unwrapped line, so FILE:LINE stays whole and greppable."""
    errors.print(exc.render(), highlight=False, markup=False, soft_wrap=True)


@scenarios_app.command("validate")
def validate(files: Annotated[list[Path], typer.Argument(help="Scenario files.")]) -> None:
    """Check scenario files; print every problem with its line and field path."""
    from sim.scenario import ScenarioError, load_scenario

    bad = 0
    for file in files:
        try:
            spec = load_scenario(file)
        except ScenarioError as exc:
            bad += 1
            scenario_problems(exc)
            continue
        people = sum(st.count for c in spec.contracts for st in c.staffing)
        console.print(
            f"{file}: ok ({len(spec.contracts)} contracts, {people} consultants, "
            f"{spec.period.start} to {spec.period.end})",
            highlight=False,
            soft_wrap=True,
        )
    if bad:
        raise typer.Exit(2)


@scenarios_app.command("schema")
def schema(out: Annotated[Path | None, typer.Option(help="Write to this file.")] = None) -> None:
    """Print the scenario format as JSON Schema (for editors)."""
    from sim.scenario import scenario_json_schema

    text = scenario_json_schema()
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)


def business_question(file: Path) -> str:
    """The opening comment's 'Business question:' paragraph (``sim.scenario.question``)."""
    from sim.scenario.question import business_question as question

    return question(file)


@scenarios_app.command("list")
def list_scenarios(
    folder: Annotated[Path, typer.Argument(help="Folder of scenarios.")] = Path("scenarios"),
) -> None:
    """List scenario files with the business question each answers."""
    from rich.table import Table

    if not folder.is_dir():
        raise bad_input(f"{folder} is not a folder of scenarios")
    table = Table(title=f"Scenarios in {folder}")
    table.add_column("file")
    table.add_column("business question")
    for file in sorted(folder.glob("*.yaml")):
        table.add_row(file.name, business_question(file) or "(no question stated)")
    console.print(table)
