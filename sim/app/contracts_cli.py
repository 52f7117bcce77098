"""``q2c contracts``: check the mocks against their specs (Schemathesis), measure how faithful
each spec is to the real vendor's, and compare two OpenAPI documents.

Like the rest of the command line, each command imports what it needs when it runs: ``q2c
contracts diff`` starts without the simulator, the mocks or Schemathesis.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated

import typer

from sim.app.terminal import bad_input, errors

__all__ = ["contracts_app"]

contracts_app = typer.Typer(no_args_is_help=True, help="Check and compare OpenAPI contracts.")


@contracts_app.command("check")
def contracts_check(
    vendor: Annotated[
        list[str] | None, typer.Option("--vendor", help="Only this vendor (repeatable).")
    ] = None,
    examples: Annotated[int, typer.Option(min=1, help="Examples per operation.")] = 25,
    seed: Annotated[int, typer.Option(help="Schemathesis seed.")] = 1,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json", help="Print a JSON summary on stdout (nothing else; progress on stderr)."
        ),
    ] = False,
) -> None:
    """Run Schemathesis against every mock in process; a table per vendor and operation."""
    from contracts import VENDORS

    unknown = [v for v in vendor or [] if v not in VENDORS]
    if unknown:
        raise bad_input(f"unknown vendor {unknown[0]!r}: use one of {', '.join(VENDORS)}")
    if importlib.util.find_spec("schemathesis") is None:
        raise bad_input("schemathesis is not installed: reinstall q2c-sandbox (pip install -e .)")
    from sim.app.conformance_view import present_conformance

    raise typer.Exit(
        present_conformance(vendor or [], examples=examples, seed=seed, as_json=json_out)
    )


@contracts_app.command("fidelity")
def contracts_fidelity(
    specs: Annotated[
        Path | None,
        typer.Option(
            "--specs", help="The real vendor specs' folder (default: ../shared/vendor-specs)."
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print every count and mismatch as JSON on stdout.")
    ] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the table as Markdown (the README's).")
    ] = False,
    details: Annotated[
        bool, typer.Option("--details", help="List each field mismatch and refused example.")
    ] = False,
) -> None:
    """Compare every contract with the real vendor spec it mirrors: operations found, documented
    only, sandbox-only, not found; fields with the real name and type; real examples accepted."""
    from contracts.fidelity import DEFAULT_SPECS, SpecsMissing
    from sim.app.fidelity_view import present_fidelity

    try:
        code = present_fidelity(
            specs or DEFAULT_SPECS, as_json=json_out, markdown=markdown, details=details
        )
    except SpecsMissing as exc:
        raise bad_input(str(exc)) from None
    raise typer.Exit(code)


@contracts_app.command("diff")
def contracts_diff(
    old: Annotated[
        Path | None, typer.Argument(help="The old OpenAPI 3.x document (YAML or JSON).")
    ] = None,
    new: Annotated[
        Path | None, typer.Argument(help="The new OpenAPI 3.x document (YAML or JSON).")
    ] = None,
    rules: Annotated[
        bool, typer.Option("--rules", help="List every rule (id, level, reason) and exit.")
    ] = False,
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="Exit 1 on a change at this level or above.")
    ] = "error",
    ignore: Annotated[
        Path | None,
        typer.Option("--ignore", help="YAML list of accepted changes: rule, operation, reason."),
    ] = None,
    output: Annotated[
        str, typer.Option("--format", help="text, json, junit or markdown.")
    ] = "text",
    details: Annotated[
        bool, typer.Option("--details", help="List every place and operation an edit reaches.")
    ] = False,
) -> None:
    """List the changes from OLD to NEW by rule and level; exit 1 on one at --fail-on or above
    (error by default), 2 on bad input."""
    # imported here: `q2c contracts diff` starts without loading the simulator
    import datetime as dt

    from contracts.diff import SpecError, diff_files, summarize
    from contracts.diff._report import (
        FORMATS,
        apply_ignores,
        load_ignores,
        render,
    )
    from contracts.diff._report import rules as rule_list

    if rules:
        typer.echo(rule_list())
        raise typer.Exit(0)
    if old is None or new is None:
        raise bad_input("give the OLD and NEW documents (or --rules to list the rules)")
    if fail_on not in ("error", "warning", "info"):
        raise bad_input(f"--fail-on {fail_on!r}: use error, warning or info")
    if output not in FORMATS:
        raise bad_input(f"--format {output!r}: use one of {', '.join(FORMATS)}")
    try:
        ignores = load_ignores(ignore) if ignore is not None else []
        changes = diff_files(old, new, today=dt.datetime.now(dt.UTC).date())
    except SpecError as exc:
        raise bad_input(str(exc)) from None
    outcome = apply_ignores(changes, ignores, fail_on)  # type: ignore[arg-type]
    typer.echo(render(output, f"{old} -> {new}", outcome, summarize(outcome.kept), details))
    for entry in outcome.unused:
        errors.print(
            f"note: ignore entry {entry.rule} {entry.operation} matched nothing",
            highlight=False,
            markup=False,
        )
    raise typer.Exit(1 if outcome.failed else 0)
