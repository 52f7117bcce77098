"""Build `report.html` (and, by default, `report.pdf` and the invoice register) in a run folder
from the files the simulator left there."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from reports import _cash as cash
from reports import _operations as ops
from reports import _risk as risk
from reports import _sections as sections
from reports._live import live_section
from reports._run import Run, read_run
from reports._verdict import broken, verdict
from reports.register import write_register

REPORT_FILE = "report.html"
PDF_FILE = "report.pdf"
TEMPLATE = "report.html.j2"


def build_report(run_dir: Path, pdf: bool = True) -> Path:
    """Read the run folder `run_dir`, write `report.html` into it and return its path; also
    write the invoice register (when the folder has books) and, if `pdf`, `report.pdf`.

    Raises `RunFolderError` when `metrics.json` is missing or unreadable.
    """
    run = read_run(Path(run_dir))
    context = report_context(run)
    template = _environment().get_template(TEMPLATE)
    target = run.path / REPORT_FILE
    target.write_text(template.render(**context), encoding="utf-8", newline="\n")
    stale = run.path / PDF_FILE
    if pdf:
        from reports._pdf import write_pdf

        write_pdf(context, stale)
    elif stale.exists():
        stale.unlink()  # never leave a PDF of an earlier run beside this report
    return target


def build_pdf(run_dir: Path) -> Path:
    """Write only `report.pdf` (and the register it summarises); return its path."""
    from reports._pdf import write_pdf

    run = read_run(Path(run_dir))
    target = run.path / PDF_FILE
    write_pdf(report_context(run), target)
    return target


def report_context(run: Run) -> dict[str, Any]:
    """Every section of the report as plain values: one source for the HTML and the PDF.
    Writes the invoice register into the run folder on the way (it summarises it)."""
    register = write_register(run.path) if run.has_books else None  # the lines, streamed
    judged = verdict(run.section("invariants"))
    groups = risk.violation_groups(run)
    return {
        "about": sections.about(run),
        "question": run.question,
        "description": run.scenario.get("description"),
        "verdict": judged,
        # the invariants the grouped violations break, else the verdict's own words
        "summary": broken([g["title"] for g in groups]) if groups else judged.summary,
        "banner": risk.banner(run),
        "groups": groups,
        "root_causes": ops.root_causes(run),
        "reconciliation": risk.reconciliation(run),
        "figures": sections.key_figures(run),
        "outcomes": sections.outcomes(run),
        "monthly": sections.monthly(run.items),
        "has_items": run.items is not None,
        "has_books": run.has_books,
        "cycle": sections.cycle_times(run),
        "problems": sections.problems(run.items),
        "api": sections.api_calls(run),
        "cash": cash.cash(run),
        "tax": cash.tax(run) if run.has_books else [],
        "fx": cash.fx(run),
        "close": ops.close_table(run),
        "timeline": ops.timeline(run),
        "resilience": ops.resilience_figures(run),
        "faults_fired": run.section("faults_fired"),
        "live": live_section(run),
        "register": _register_summary(register or []),
    }


def _register_summary(totals: list[dict[str, Any]]) -> list[dict[str, str]]:
    from reports._money import money

    return [
        {
            "currency": s["currency"],
            "type": "Invoices" if s["type"] == "invoice" else "Credit notes",
            "documents": f"{s['documents']:,}",
            "drafts": f"{s['drafts']:,}",
            "lines": f"{s['lines']:,}",
            "net": money(s["net"], s["currency"]),
            "tax": money(s["tax"], s["currency"]),
            "gross": money(s["gross"], s["currency"]),
            "paid": money(s["paid"], s["currency"]),
            "remaining": money(s["remaining"], s["currency"]),
        }
        for s in totals
    ]


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
