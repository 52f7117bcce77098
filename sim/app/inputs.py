"""What every command that runs a scenario checks before it starts: the scenario loads, the
design loads and takes the options given, and the output folder can be written. Each problem
exits 2 (3 when the design's own module raises as it is imported), before any work is done."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sim.app.scenarios_cli import scenario_problems
from sim.app.terminal import bad_input, errors

if TYPE_CHECKING:
    from sim.scenario import Scenario

__all__ = ["checked_inputs", "option_pairs", "output_folder"]


def checked_inputs(
    scenario: Path, design: str, options: dict[str, str], json_out: bool = False
) -> Scenario:
    """The scenario, loaded, and the design and its options, checked: or exit 2 saying what
    to fix (exit 3 if the design's own module raises as it is imported)."""
    from sim.app.run_view import design_failed
    from sim.scenario import ScenarioError, load_scenario
    from sim.world.design_guard import DesignFailure
    from sim.world.designs import load_design

    try:
        spec = load_scenario(scenario)
    except ScenarioError as exc:
        scenario_problems(exc)
        errors.print("Fix the fields above, then run `q2c scenarios validate FILE` to check.")
        raise typer.Exit(2) from None
    try:
        factory = load_design(design)
    except ValueError as exc:
        raise bad_input(str(exc)) from None
    except DesignFailure as failure:  # its module raised while it was imported
        command = f"q2c run {scenario} --design {design}"
        raise typer.Exit(design_failed(failure, None, command, scenario, json_out)) from None
    # a design that says which options it takes (the reference does) gets them checked
    module = sys.modules.get(getattr(factory, "__module__", None) or "")
    check = getattr(module, "option_problems", None)
    problems = list(check(options)) if callable(check) else []
    store = options.get("store")
    if store and not Path(store).parent.is_dir():
        problems.append(f"option store={store!r}: folder {Path(store).parent} does not exist")
    if problems:
        raise bad_input("; ".join(problems))
    return spec


def output_folder(folder: Path, what: str) -> Path:
    """``folder``, created now (not after the run) or exit 2 if it cannot be written."""
    if folder.exists() and not folder.is_dir():
        raise bad_input(f"--out {folder} is a file; give a folder for the {what}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise bad_input(f"cannot write the {what} folder {folder}: {exc.strerror}") from None
    return folder


def option_pairs(pairs: list[str]) -> dict[str, str]:
    """``--option KEY=VALUE`` pairs as a dict, or exit 2 naming the malformed one."""
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise bad_input(f"--option expects KEY=VALUE, got {pair!r}")
        options[key] = value
    return options
