"""Build `report.html` in a run folder from the files the simulator left there."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from reports import _sections as sections
from reports._run import read_run
from reports._verdict import verdict

REPORT_FILE = "report.html"
TEMPLATE = "report.html.j2"


def build_report(run_dir: Path) -> Path:
    """Read the run folder `run_dir`, write `report.html` into it and return its path.

    Raises `RunFolderError` when `metrics.json` is missing or unreadable.
    """
    run = read_run(Path(run_dir))
    template = _environment().get_template(TEMPLATE)
    html = template.render(
        about=sections.about(run),
        verdict=verdict(run.section("invariants")),
        figures=sections.key_figures(run),
        outcomes=sections.outcomes(run),
        amounts=sections.amounts(run),
        causes=sections.causes(run),
        monthly=sections.monthly(run.items),
        has_items=run.items is not None,
        cycle=sections.cycle_times(run),
        problems=sections.problems(run.items),
        api=sections.api_calls(run),
    )
    target = run.path / REPORT_FILE
    target.write_text(html, encoding="utf-8", newline="\n")
    return target


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
