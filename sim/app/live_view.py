"""The terminal side of issue 13: ``q2c run SCENARIO --integration URL`` and
``q2c design serve DESIGN``.

Light at import (the command table imports it: ``tests/app/test_startup.py``): everything heavy
is imported when a command runs. Exit codes: 0 every invariant holds, 1 one is violated, 2 bad
input, 3 the integration under test failed the run (down, never answering, out of its
wall-clock budget), as for an in-process design that fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sim.app.terminal import bad_input, console, errors

__all__ = ["Budget", "QuietMs", "Rate", "design_app", "run_integration"]

# the test clock's settings, as `q2c run --integration` and `q2c compare --integration` take them
Rate = Annotated[
    float, typer.Option(help="With --integration: simulated s per wall s while it is busy.")
]
QuietMs = Annotated[
    float, typer.Option(help="With --integration: quiet after this long without a request.")
]
Budget = Annotated[
    float, typer.Option(help="With --integration: each run's wall-clock budget (s).")
]

EXIT_DESIGN_FAILED = 3

design_app = typer.Typer(no_args_is_help=True, help="Serve a design over HTTP.")


@design_app.command("serve")
def design_serve_command(
    design: Annotated[str, typer.Argument(help="'reference' or module:function.")] = "reference",
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8100,
    vendors: Annotated[
        str | None,
        typer.Option(
            help="Base URL of the vendors (a q2c serve: URL/crm, URL/erp, ...); "
            "without it, q2c run --integration tells the design where they are."
        ),
    ] = None,
    tenant: Annotated[str, typer.Option(help="Tenant at the vendors (with --vendors).")] = (
        "sandbox"
    ),
    client_id: Annotated[str | None, typer.Option(help="OAuth client id (with --vendors).")] = None,
    client_secret: Annotated[str | None, typer.Option(help="OAuth client secret.")] = None,
    option: Annotated[list[str], typer.Option(help="Design option KEY=VALUE (repeatable).")] = [],  # noqa: B006
) -> None:
    """Serve DESIGN's experience endpoints over HTTP, on the wall clock."""
    from contracts.conformance import CLIENT_ID, CLIENT_SECRET
    from sim.app.design_serve import serve_design

    options = _pairs(option)
    try:
        serve_design(
            design, host=host, port=port, vendors=vendors, tenant=tenant,
            client_id=client_id or CLIENT_ID, client_secret=client_secret or CLIENT_SECRET,
            options=options, console=console,
        )  # fmt: skip
    except ValueError as exc:
        raise bad_input(str(exc)) from None


def _pairs(pairs: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise bad_input(f"--option expects KEY=VALUE, got {pair!r}")
        options[key] = value
    return options


def run_integration(
    scenario_file: Path,
    spec: Any,
    seed: int,
    integration: str,
    options: dict[str, str],
    folder: Path,
    *,
    rate: float,
    quiet_ms: float,
    budget_s: float,
    report: bool,
    json_out: bool,
) -> None:
    """Run against the integration, write the run folder, print, exit (0, 1 or 3)."""
    from sim.app.run_view import run_summary, show_summary
    from sim.app.terminal import print_json, progress_bar
    from sim.live.clock import ClockSettings
    from sim.live.runner import IntegrationFailed, live_command, run_live, write_live

    if not integration.startswith(("http://", "https://")):
        raise bad_input(f"--integration expects an http(s) URL, got {integration!r}")
    settings = ClockSettings(rate=rate, quiet_s=quiet_ms / 1000, budget_s=budget_s)
    command = live_command(str(scenario_file), seed, integration, options, settings)
    try:
        with progress_bar("against the integration") as bar:
            bar.add_task(f"{spec.name} seed {seed} -> {integration}", total=None)
            live = run_live(spec, seed, integration, options, settings)
    except IntegrationFailed as failed:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "live.json").write_text(json.dumps(failed.live, indent=2, sort_keys=True) + "\n")
        (folder / "command.txt").write_text(command + "\n")
        errors.print(f"[bold red]the integration failed the run:[/] {failed}",
                     highlight=False, markup=True, soft_wrap=True)  # fmt: skip
        errors.print(f"Details: {folder / 'live.json'}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_DESIGN_FAILED) from None
    write_live(live, folder, command, scenario_file)
    if report:
        from reports import build_report

        build_report(folder)
    if json_out:
        print_json({**run_summary(live.result.metrics, folder, report), "live": _brief(live.live)})
    else:
        show_summary(live.result.metrics, folder)
        console.print(_line(live.live), highlight=False, soft_wrap=True)
    raise typer.Exit(0 if live.result.ok else 1)


def _brief(live: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in live.items() if k != "contract_report"}


def _line(live: dict[str, Any]) -> str:
    t, traffic = live["time"], live["traffic"]
    return (
        f"Live: {t['wall_s']:.1f} s wall ({t['cpu_s_sandbox']:.1f} s CPU in the sandbox), "
        f"{t['simulated_s'] / 86400:.1f} simulated days, {t['simulated_per_wall']}x; "
        f"{sum(live['vendor_calls'].values())} vendor calls, "
        f"{traffic['nonconforming_requests']} non-conforming requests; "
        f"answers {live['integration_answers']}"
    )
