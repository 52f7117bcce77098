"""The report builder: reads a run folder written by hand and writes a readable report.html."""

from __future__ import annotations

import base64
import copy
import csv
import html as html_lib
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reports import RunFolderError, build_report
from reports.__main__ import main
from reports._money import money
from sim.metrics import ITEM_COLUMNS

ITEM_FIELDS = list(ITEM_COLUMNS)  # the columns the simulator writes, not a copy of them

METRICS: dict[str, Any] = {
    "scenario": "global-engineering-msa",
    "seed": 7,
    "design": "reference",
    "options": {},
    "period": {"start": "2026-01-01", "end": "2026-06-30", "run_until": "2026-08-15"},
    "trace_sha256": "ab12cd34",
    "invariants": {"ok": True, "violations": []},
    "items": {
        "billable": 11234,
        "correct": 11230,
        "leaked": 1,
        "duplicated": 1,
        "misbilled": 1,
        "held": 1,
    },
    "accuracy": {"by_count": 0.99964, "by_amount": 0.9991},
    "amounts": {
        "EUR": {
            "billable": "1234567.50",
            "invoiced": "1234999.25",
            "correct": "1234000.00",
            "leaked": "120.00",
            "duplicated": "431.75",
            "misbilled": "15.50",
        },
        "GBP": {
            "billable": "98765.40",
            "invoiced": "98765.40",
            "correct": "98765.40",
            "leaked": "0.00",
            "duplicated": "0.00",
            "misbilled": "0.00",
        },
    },
    "misbilled_by_cause": {"rate_version": 1, "rounding": 0, "currency": 0, "amount": 0},
    "leaked_by_cause": {"never_invoiced": 1},
    "cycle_times_hours": {
        "contract_executed_to_project_active": {"count": 4, "p50": 0.01, "p95": 0.02, "p99": 0.02},
        "time_approved_to_invoiced": {"count": 11200, "p50": 130.5, "p95": 300.25, "p99": 410.0},
        "milestone_accepted_to_invoiced": {"count": 30, "p50": 20.0, "p95": 47.5, "p99": 47.9},
    },
    "invoices": {"count": 28, "lines": 11234},
    "api_calls": {"crm": 12, "clm": 10, "psa": 2900, "erp": 90},
    "calls_per_billable_item": 0.27,
    "simulation": {"events": 123456, "actors": {"timesheets": 3}},
}


def _item(source_id: str, **fields: str) -> dict[str, str]:
    row = dict.fromkeys(ITEM_FIELDS, "")
    row.update(
        source_id=source_id,
        kind="time_entry",
        contract="C-001",
        currency="EUR",
        work_date="2026-01-15",
        month="2026-01",
        expected_amount="1000.00",
        billed_amount="1000.00",
        times_billed="1",
        verdict="correct",
        approved_at="2026-01-16T17:00:00+00:00",
        invoiced_at="2026-01-31T09:00:00+00:00",
        cycle_hours="352.0",
    )
    row.update(fields)
    return row


NOT_INVOICED = {"billed_amount": "", "times_billed": "0", "invoiced_at": "", "cycle_hours": ""}
ITEMS = [
    _item("psa:time_entry:1"),
    _item("psa:time_entry:2", expected_amount="500.25", billed_amount="500.25", cycle_hours="40"),
    _item("psa:time_entry:3", work_date="2026-03-02", month="2026-03", verdict="leaked",
          cause="never_invoiced", **NOT_INVOICED),
    _item("psa:time_entry:4", month="2026-03", billed_amount="2000.00", times_billed="2",
          verdict="duplicated", cycle_hours="30"),
    _item("psa:time_entry:5", currency="GBP", expected_amount="800.00", billed_amount="780.00",
          verdict="misbilled", cause="rate_version", cycle_hours="200"),
    _item("psa:billing_milestone:1", kind="billing_milestone", currency="GBP", month="2026-02",
          expected_amount="5000.00", billed_amount="5000.00", cycle_hours="20.5"),
    _item("psa:time_entry:6", currency="GBP", month="2026-02", verdict="held",
          cause="missing_po", **NOT_INVOICED),
]  # fmt: skip


def write_run(
    run_dir: Path, metrics: dict[str, Any] | None = None, items: list[dict[str, str]] | None = None
) -> Path:
    """Write a run folder by hand: metrics.json and, unless items is None, items.csv."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "metrics.json").write_text(json.dumps(METRICS if metrics is None else metrics))
    if items is not None:
        with (run_dir / "items.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=ITEM_FIELDS)
            writer.writeheader()
            writer.writerows(items)
    return run_dir


def text_of(html: str) -> str:
    """The visible text of the page: tags dropped, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


def with_violations(n: int) -> dict[str, Any]:
    """The sample metrics with n duplicate-billing violations recorded."""
    metrics = copy.deepcopy(METRICS)
    metrics["invariants"] = {
        "ok": False,
        "violations": [
            {
                "invariant": "no_duplicates",
                "item": f"psa:time_entry:{i}",
                "detail": f"billed 2 times (S-INV{i:06d}, S-INV{i + 1:06d})",
            }
            for i in range(n)
        ],
    }
    return metrics


def test_report_is_written_into_the_run_folder(tmp_path: Path) -> None:
    """build_report writes report.html into the run folder and returns its path."""
    run_dir = write_run(tmp_path / "run", items=ITEMS)
    path = build_report(run_dir)
    assert path == run_dir / "report.html"
    assert path.read_text().startswith("<!DOCTYPE html>")


def test_business_question_is_read_from_the_run_folder(tmp_path: Path) -> None:
    """The question comes from the folder's about.json, even when the scenario file the command
    names is nowhere to be found."""
    run_dir = write_run(tmp_path / "run", items=ITEMS)
    (run_dir / "command.txt").write_text("q2c run gone/nowhere.yaml --seed 7\n")
    question = "Does every approved hour reach a correct invoice?"
    about = {"business_question": question, "scenario_file": "gone/nowhere.yaml"}
    (run_dir / "about.json").write_text(json.dumps(about))
    html = text_of(build_report(run_dir, pdf=False).read_text())
    assert f"Business question: {question}" in html


def test_headline_says_all_invariants_hold(tmp_path: Path) -> None:
    """A run whose invariants hold is headlined as such, with no violation table."""
    html = build_report(write_run(tmp_path, items=ITEMS)).read_text()
    assert 'class="verdict pass"' in html
    assert "All invariants hold" in html
    assert 'id="violations"' not in html
    assert "global-engineering-msa" in html and "reference" in html


def test_violations_are_listed_in_plain_words(tmp_path: Path) -> None:
    """Each violation appears as a row with its item, detail and what the invariant means."""
    html = build_report(write_run(tmp_path, metrics=with_violations(2), items=ITEMS)).read_text()
    assert 'class="verdict fail"' in html
    assert "2 invariant violations" in html
    start = html.index('id="violations"')
    table = html[start : html.index("</table>", start)]
    assert table.count("<tr>") == 3  # header + 2 rows
    assert "psa:time_entry:1" in table
    assert "billed 2 times (S-INV000001, S-INV000002)" in table
    assert "No duplicate billing" in table
    assert "invoiced twice for the same work" in table


def test_long_violation_lists_are_capped(tmp_path: Path) -> None:
    """Thousands of violations are counted in full but only the first twenty are listed."""
    html = build_report(write_run(tmp_path, metrics=with_violations(1200))).read_text()
    assert "1,200 invariant violations" in html
    assert "psa:time_entry:19<" in html and "psa:time_entry:20<" not in html
    assert "1,180 more" in html


def test_key_figures_come_from_the_metrics(tmp_path: Path) -> None:
    """Item counts, accuracy, per-currency amounts and invoices are shown as recorded."""
    text = text_of(build_report(write_run(tmp_path, items=ITEMS)).read_text())
    assert "Billable items 11,234" in text
    assert "Accuracy by count 99.96%" in text  # rounded down: never shows 100% unless it is
    assert "Accuracy by amount 99.91%" in text
    assert "Invoices 28 11,234 lines" in text
    assert "Leaked 1" in text and "Duplicated 1" in text and "Mis-billed 1" in text
    # where every amount went, from items.csv: billable = correct + leaked + dup + mis + held
    assert (
        "EUR €3,500.25 €1,500.25 €1,000.00 €1,000.00 €0.00 €0.00 yes €3,500.25 +€1,000.00" in text
    )
    assert "GBP £6,800.00 £5,000.00 £0.00 £0.00 £800.00 £1,000.00 yes £5,780.00 -£20.00" in text
    assert "No mis-billing Wrong rate version 1 £20.00" in text
    assert "No leakage Never invoiced 1 €1,000.00" in text


def test_monthly_totals_are_summed_per_currency_from_items(tmp_path: Path) -> None:
    """The numbers behind the monthly chart are exact decimal sums of items.csv per currency."""
    text = text_of(build_report(write_run(tmp_path, items=ITEMS)).read_text())
    assert "Jan 2026 €1,500.25 €1,500.25 €0.00 €0.00" in text
    assert "Feb 2026 €0.00 €0.00" in text  # a month with no EUR work still shows, as zero
    assert "Mar 2026 €2,000.00 €2,000.00" in text  # one leaked, one billed twice
    assert "Total €3,500.25 €3,500.25 €0.00 €0.00" in text
    # GBP: the held 1,000.00 is shown as held, so nothing is left unexplained in February
    assert "Feb 2026 £6,000.00 £5,000.00 £1,000.00 £0.00 Total £6,800.00 £5,780.00" in text
    assert "Jan 2026 £800.00 £780.00 £0.00 -£20.00" in text  # no hold: 20.00 unexplained


def test_charts_are_embedded_as_png_images(tmp_path: Path) -> None:
    """Monthly charts (one per currency) and the cycle-time chart are inline PNG data URIs."""
    html = build_report(write_run(tmp_path, items=ITEMS)).read_text()
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 3
    assert all(base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n") for data in images)
    assert "EUR: variance by month" in html


def test_report_is_self_contained(tmp_path: Path) -> None:
    """The page loads no external resource: no links, scripts or remote URLs."""
    html = build_report(write_run(tmp_path, items=ITEMS)).read_text()
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html


def test_cycle_times_percentiles_and_vendors_are_tabled(tmp_path: Path) -> None:
    """Cycle-time percentiles read in hours (and days), API calls per vendor with their share."""
    text = text_of(build_report(write_run(tmp_path, items=ITEMS)).read_text())
    assert "Time approved → invoiced 11,200 130.5 h (5.4 d) 300.2 h (12.5 d)" in text
    assert "Milestone accepted → invoiced 30 20.0 h 47.5 h 47.9 h" in text
    assert "Contract executed → project active 4 0.6 min" in text
    assert "PSA 2,900 96%" in text and "CRM 12 <1%" in text
    assert "Total 3,012" in text
    assert "0.27 API calls per billable item" in text


def test_items_not_billed_correctly_are_listed(tmp_path: Path) -> None:
    """Leaked, duplicated, mis-billed and held items are listed with cause and amounts."""
    text = text_of(build_report(write_run(tmp_path, items=ITEMS)).read_text())
    assert "4 items did not get" in text
    assert "psa:time_entry:3 Time entry C-001 Mar 2026 Leaked Never invoiced" in text
    assert "€1,000.00 not billed 0" in text
    assert "Duplicated €1,000.00 €2,000.00 2" in text
    assert "Held Missing purchase order" in text


def test_missing_metrics_gives_a_clear_error(tmp_path: Path) -> None:
    """A folder without metrics.json is refused with an error that names the file."""
    with pytest.raises(RunFolderError, match=r"metrics\.json is missing"):
        build_report(tmp_path)
    with pytest.raises(RunFolderError, match="does not exist"):
        build_report(tmp_path / "nowhere")


def test_malformed_files_give_a_clear_error(tmp_path: Path) -> None:
    """Invalid JSON or a non-numeric amount in items.csv is reported with the file and line."""
    (tmp_path / "metrics.json").write_text("{not json")
    with pytest.raises(RunFolderError, match="not valid JSON"):
        build_report(tmp_path)
    write_run(tmp_path, items=[_item("psa:time_entry:1"), _item("x", expected_amount="ten")])
    with pytest.raises(RunFolderError, match=r"items\.csv: line 3 is malformed"):
        build_report(tmp_path)


def test_run_without_invoiced_items_renders(tmp_path: Path) -> None:
    """A run where nothing was invoiced renders, explaining why there is no cycle-time chart."""
    metrics = copy.deepcopy(METRICS)
    metrics["invoices"] = {"count": 0, "lines": 0}
    leaked = [_item(f"psa:time_entry:{i}", verdict="leaked", **NOT_INVOICED) for i in range(3)]
    text = text_of(build_report(write_run(tmp_path, metrics=metrics, items=leaked)).read_text())
    assert "No item was invoiced in this run" in text
    assert "Jan 2026 €3,000.00 €0.00 €0.00 -€3,000.00" in text
    assert "Invoices 0 0 lines" in text


def test_partial_run_without_optional_sections_renders(tmp_path: Path) -> None:
    """Metrics with only a scenario name and no items.csv still give a readable page."""
    html = build_report(write_run(tmp_path, metrics={"scenario": "tiny"})).read_text()
    assert "Quote-to-cash run report: tiny" in html
    assert "Invariants not checked" in html
    assert "no <code>items.csv</code>" in html
    assert "data:image/png" not in html


def test_text_from_the_run_is_escaped(tmp_path: Path) -> None:
    """Markup in run data is shown as text, never injected into the page."""
    metrics = with_violations(1)
    metrics["invariants"]["violations"][0]["detail"] = "<script>alert(1)</script>"
    html = build_report(write_run(tmp_path, metrics=metrics)).read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_unknown_kinds_and_keys_are_tolerated(tmp_path: Path) -> None:
    """New item kinds, verdicts and metric keys from a newer simulator do not break the report."""
    metrics = copy.deepcopy(METRICS)
    metrics["items"]["written_off"] = 2
    metrics["api_calls"]["tax"] = {"calls": 40, "429s": 3}
    metrics["future_section"] = {"anything": [1, 2]}
    expense = _item("psa:expense:1", kind="expense", verdict="written_off", cycle_hours="12")
    text = text_of(build_report(write_run(tmp_path, metrics=metrics, items=[expense])).read_text())
    assert "Written off 2" in text
    assert "Tax 40" in text
    assert "psa:expense:1 Expense C-001 Jan 2026 Written off" in text


def test_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    """Building twice from identical files gives a byte-identical report."""
    first = build_report(write_run(tmp_path / "a", items=ITEMS)).read_bytes()
    second = build_report(write_run(tmp_path / "b", items=ITEMS)).read_bytes()
    assert first == second


def test_module_entry_point_prints_the_report_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m reports RUN_DIR` writes the report and prints its path; errors exit non-zero."""
    run_dir = write_run(tmp_path / "run", items=ITEMS)
    assert main([str(run_dir)]) == 0
    assert capsys.readouterr().out.strip() == str(run_dir / "report.html")
    assert main([str(tmp_path / "empty")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main([]) == 2


@pytest.mark.parametrize(
    ("amount", "currency", "written"),
    [
        ("27316687.69", "INR", "₹2,73,16,687.69"),
        ("-1063433.75", "SEK", "-SEK\u00a01,063,433.75"),
        ("0", "EUR", "€0.00"),
        ("5", "CHF", "CHF\u00a05.00"),
    ],
)
def test_money_is_written_per_currency(amount: str, currency: str, written: str) -> None:
    """Symbols stay attached; a currency written by its letter code is spaced from the digits
    (CLDR's currency spacing, which Babel leaves out)."""
    assert money(Decimal(amount), currency) == written
