"""The ``q2c`` command line: run scenarios, validate them, build reports.

Exit codes: 0 every invariant holds, 1 an invariant is violated, 2 the input is wrong, 3 the
design under test failed (raised, answered in a wrong shape, never answered).

Each command imports what it needs when it runs, never at the top of this module: ``q2c
--help`` and ``q2c contracts diff`` must not pay for SimPy, the mocks, the core, matplotlib or
Schemathesis (``tests/app/test_startup.py`` holds that). The views (``*_view``) print; the
engines they call print nothing.
"""

from __future__ import annotations

import gc
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from sim.app.compare_view import compare_command
from sim.app.contracts_cli import contracts_app
from sim.app.designs_view import designs_app
from sim.app.inputs import checked_inputs, option_pairs, output_folder
from sim.app.live_view import Budget, QuietMs, Rate, design_app
from sim.app.scenarios_cli import scenario_problems, scenarios_app
from sim.app.terminal import bad_input, console, errors

if TYPE_CHECKING:
    pass

app = typer.Typer(
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, pwsh
    help="Simulate quote-to-cash integrations and check every invoice.",
)


def _version(asked: bool) -> None:
    """``q2c --version``: the installed package's version, from its metadata."""
    if asked:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("q2c-sandbox")
        except PackageNotFoundError:
            number = "unknown (not installed: pip install -e .)"
        typer.echo(f"q2c {number}")
        raise typer.Exit(0)


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Simulate quote-to-cash integrations and check every invoice."""


app.add_typer(scenarios_app, name="scenarios")
app.add_typer(contracts_app, name="contracts")
app.add_typer(designs_app, name="designs")
app.command("compare")(compare_command)
app.add_typer(design_app, name="design")


@app.command("run")
def run_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (YAML).")],
    seed: Annotated[int, typer.Option(help="Seed for every random choice in the run.")] = 1,
    design: Annotated[
        str,
        typer.Option(
            help="A design: a name (q2c designs list), path/to/file.py:factory or "
            "package.module:function."
        ),
    ] = "reference",
    out: Annotated[Path | None, typer.Option(help="Run folder [default: runs/NAME-seedN]")] = None,
    option: Annotated[list[str], typer.Option(help="Design option KEY=VALUE (repeatable).")] = [],  # noqa: B006
    report: Annotated[
        bool, typer.Option(help="Also write report.html, report.pdf and the invoice register.")
    ] = True,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json", help="Print a JSON summary on stdout (nothing else; progress on stderr)."
        ),
    ] = False,
    swarm_draw: Annotated[
        bool,
        typer.Option(
            "--swarm-draw",
            help="Draw this seed's faults inside the scenario's faults envelope, as q2c swarm "
            "does (reproduces a swarm seed).",
        ),
    ] = False,
    call_budget: Annotated[
        float,
        typer.Option(
            min=0,
            metavar="SECONDS",
            help="Wall-clock seconds one call to the design may take before it counts as not "
            "answering (exit 3); 0: no budget.",
        ),
    ] = 60.0,
    integration: Annotated[
        str | None,
        typer.Option(
            help="Base URL of an external integration to run instead of --design "
            "(docs/live.md); exit 3 if it fails the run."
        ),
    ] = None,
    rate: Rate = 60.0,
    quiet_ms: QuietMs = 200.0,
    budget: Budget = 600.0,
) -> None:
    """Run SCENARIO against a design, judge every invoice, write the run folder. Exit 0: every
    invariant holds; 1: one is violated; 2: bad input; 3: the design failed."""
    from sim.heap import LeanHeap

    # young collections are made rare from the start (sim.heap): importing the simulator,
    # loading the scenario and its specs allocate mostly what lives on, and CPython's threshold
    # of 700 ran ~390 collections over them (0.13 s of the flagship run's CPU, gc.callbacks)
    setup = LeanHeap()
    setup.tune()
    try:
        _run(scenario, seed, design, out, option, report, json_out, swarm_draw, call_budget,
             integration, rate, quiet_ms, budget)  # fmt: skip
    finally:
        setup.release()


def _run(
    scenario: Path,
    seed: int,
    design: str,
    out: Path | None,
    option: list[str],
    report: bool,
    json_out: bool,
    swarm_draw: bool,
    call_budget: float,
    integration: str | None,
    rate: float,
    quiet_ms: float,
    budget: float,
) -> None:
    """``q2c run`` itself (``run_command`` keeps the collector tuned around it)."""
    from sim.app.run_view import design_failed, run_summary, run_with_progress, show_summary
    from sim.app.terminal import print_json
    from sim.heap import LeanHeap
    from sim.runner import command_line, write_run
    from sim.scenario import draw_scenario
    from sim.world.design_guard import DesignFailure

    options = option_pairs(option)
    spec = checked_inputs(scenario, design, {} if integration else options, json_out)
    if swarm_draw:
        spec = draw_scenario(spec, seed)
    folder = output_folder(out or Path("runs") / f"{spec.name}-seed{seed}", "run")
    if integration is not None:
        from sim.app.live_view import run_integration

        run_integration(
            scenario,
            spec,
            seed,
            integration,
            options,
            folder,
            rate=rate,
            quiet_ms=quiet_ms,
            budget_s=budget,
            report=report,
            json_out=json_out,
        )
    command = command_line(str(scenario), seed, design, options)
    command += " --swarm-draw" if swarm_draw else ""
    # what is alive now (modules, classes, compiled schemas, the scenario) is kept out of the
    # collector's scans while the command runs; the world is built after this, so a crashed
    # core is still collected (sim.heap's reason not to freeze the world). Writing the folder
    # and the report allocates as a run does: young collections stay rare there too.
    gc.freeze()
    heap = LeanHeap()
    try:
        try:
            result = run_with_progress(spec, seed, design, options, call_budget)
        except DesignFailure as failure:
            raise typer.Exit(design_failed(failure, folder, command, scenario, json_out)) from None
        heap.tune()
        write_run(result, folder, command, scenario)
        metrics, ok = result.metrics, result.ok
        del result  # the report reads the folder: the record and verdicts go first (issue 14)
        if report:
            from reports import build_report

            build_report(folder)
    finally:
        heap.release()
        gc.unfreeze()  # a process that goes on (a test calling the CLI) collects them again
    if json_out:
        print_json(run_summary(metrics, folder, report))
    else:
        show_summary(metrics, folder)
    raise typer.Exit(0 if ok else 1)


@app.command("swarm")
def swarm_command(
    scenario: Annotated[
        Path,
        typer.Argument(
            help="Scenario file (YAML); its faults: section is the envelope each seed draws from."
        ),
    ],
    seeds: Annotated[int, typer.Option(min=1, help="How many seeds to run.")] = 30,
    first: Annotated[int, typer.Option(min=0, help="The first seed.")] = 1,
    workers: Annotated[int, typer.Option(min=1, help="Parallel processes [default: CPUs].")] = (
        os.cpu_count() or 1
    ),
    design: Annotated[
        str, typer.Option(help="A design: a name, path/to/file.py:factory or module:function.")
    ] = "reference",
    option: Annotated[list[str], typer.Option(help="Design option KEY=VALUE (repeatable).")] = [],  # noqa: B006
    out: Annotated[
        Path | None, typer.Option(help="Folder for swarm.json [default: runs/swarm-NAME]")
    ] = None,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json", help="Print a JSON summary on stdout (nothing else; progress on stderr)."
        ),
    ] = False,
    cluster: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            help="Run the seeds on a dask.distributed cluster: its scheduler's address "
            "(tcp://HOST:8786), or local:N for N worker processes here. Needs the 'cluster' "
            "extra; every worker must have the same q2c-sandbox version. Ignores --workers.",
        ),
    ] = None,
) -> None:
    """Run SCENARIO over many seeds, each with its own faults; exit 1 if any seed fails."""
    from sim._cluster import ClusterError
    from sim.app.swarm_view import present_swarm

    options = option_pairs(option)
    spec = checked_inputs(scenario, design, options)
    folder = output_folder(out or Path("runs") / f"swarm-{spec.name}", "swarm")
    seed_range = range(first, first + seeds)
    try:
        code = present_swarm(
            str(scenario), spec, seed_range, design, options, workers, folder, json_out, cluster
        )
    except ClusterError as exc:
        raise bad_input(str(exc)) from None
    raise typer.Exit(code)


@app.command("report")
def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
    pdf: Annotated[
        bool, typer.Option(help="Also write report.pdf (paginated, for forwarding).")
    ] = True,
) -> None:
    """Write report.html, report.pdf and the invoice register for a run folder."""
    from reports import RunFolderError, build_report

    if not (run_dir / "metrics.json").is_file():
        raise bad_input(f"{run_dir} is not a run folder (no metrics.json); run `q2c run` first")
    try:
        built = build_report(run_dir, pdf=pdf)
    except RunFolderError as exc:
        raise bad_input(str(exc)) from None
    console.print(f"Report: {built}")
    if pdf:
        console.print(f"PDF: {built.with_name('report.pdf')}")


@app.command("judge")
def judge_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by q2c run.")],
    report: Annotated[bool, typer.Option(help="Also rewrite the report.")] = True,
) -> None:
    """Re-judge a finished run from its folder alone (scenario, truth, books): rewrite
    metrics.json and items.csv; exit 1 if an invariant is violated."""
    from sim.app.run_view import show_summary
    from sim.judge import judge
    from sim.metrics import write_items_csv
    from sim.record.folder import RecordError, read_record
    from sim.runner import metrics_json

    if not run_dir.is_dir():
        raise bad_input(f"{run_dir} is not a folder; give a run folder written by q2c run")
    if (run_dir / "design-error.txt").is_file():
        raise bad_input(f"{run_dir}: the design failed in this run, so there is nothing to "
                        f"judge; see {run_dir / 'design-error.txt'}")  # fmt: skip
    try:
        record = read_record(run_dir)
    except RecordError as exc:
        raise bad_input(str(exc)) from None
    judgement = judge(record.scenario, record.truth, record.books, record.facts)
    (run_dir / "metrics.json").write_text(metrics_json(judgement.metrics))
    with (run_dir / "items.csv").open("w", encoding="utf-8", newline="") as items:
        write_items_csv(judgement.report, items)
    metrics, ok = judgement.metrics, judgement.ok
    del judgement, record  # the report reads the folder (issue 14)
    if report:
        from reports import build_report

        build_report(run_dir)
    show_summary(metrics, run_dir)
    raise typer.Exit(0 if ok else 1)


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback only by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    scenario: Annotated[
        Path | None,
        typer.Option(help="Seed the mocks from this scenario (YAML) and apply its faults."),
    ] = None,
    scenario_time: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"],
            help="The scenario moment (UTC) the server's start stands for: its dated faults "
            "keep their distance from it (default: the period's first day, 00:00).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the fault layers' random draws.")] = 7,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Allow a non-loopback --host (and admin).")
    ] = False,
    admin_token: Annotated[
        str | None,
        typer.Option(envvar="Q2C_ADMIN_TOKEN", help="Admin API token (default: random)."),
    ] = None,
    max_body: Annotated[
        int, typer.Option(min=1, help="Largest request body in bytes; larger is a 413.")
    ] = 10 * 1024 * 1024,
    webhooks_to: Annotated[
        str | None,
        typer.Option(help="Register this URL for every vendor that sends webhooks."),
    ] = None,
    webhook_retry_scale: Annotated[
        float,
        typer.Option(
            min=0.000001,
            max=1.0,
            help="Shrink every vendor's webhook retry waits by this factor (CI; 1 = real pace).",
        ),
    ] = 1.0,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Refuse a request that breaks the vendor's spec: 422 naming the rule (415 for "
            "a media type the operation does not take). Every request is checked either way "
            "(GET /_admin/contract-report).",
        ),
    ] = False,
) -> None:
    """Serve all six mocks over HTTP under /crm /clm /psa /erp /tax /payments, with an admin API."""
    import secrets

    from sim.app.serve import is_loopback, serve
    from sim.scenario import ScenarioError, load_scenario

    if not is_loopback(host):
        if not allow_remote:
            raise bad_input(f"--host {host} is not loopback: add --allow-remote to bind it")
        errors.print(
            f"[bold yellow]warning:[/] serving on {escape(host)}: the mocks and the admin API "
            "are reachable from other machines",
            highlight=False,
        )
    if webhooks_to is not None:
        from mocks import url_problem

        if (why := url_problem(webhooks_to)) is not None:
            raise bad_input(f"--webhooks-to {webhooks_to}: {why}")
    spec = None
    if scenario is not None:
        try:
            spec = load_scenario(scenario)
        except ScenarioError as exc:
            scenario_problems(exc)
            raise typer.Exit(2) from None
    if scenario_time is not None and spec is None:
        raise bad_input("--scenario-time needs --scenario")
    token = admin_token or secrets.token_urlsafe(24)
    moment = scenario_time.replace(tzinfo=UTC) if scenario_time is not None else None
    serve(
        host=host, port=port, scenario=spec, seed=seed, admin_token=token,
        allow_remote=allow_remote, console=console, max_body=max_body, strict=strict,
        scenario_time=moment, webhooks_to=webhooks_to, webhook_retry_scale=webhook_retry_scale,
    )  # fmt: skip


if __name__ == "__main__":
    app()
