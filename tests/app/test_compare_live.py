"""``q2c compare --integration``: an external integration as one more column (issue 13).

The reference core in process against the same core served by ``q2c design serve reference``
(started here on a free 127.0.0.1 port) and against a URL nothing listens on, on the small
firm, two seeds. Both live columns' figures are read back from their run folders like the
designs', the served core holds every invariant as the in-process one does, the dead one is
a failed column (with its ``live.json``), not a crash; the live wall/CPU figures are shown;
the run folder's PDF report carries the external-integration section.
"""

from __future__ import annotations

import csv
import json
import statistics
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest

from reports import build_report
from tests.app.test_compare import _from_run
from tests.live.served_design import ServedDesign, free_port
from tests.support.cli import invoke, words
from tests.support.paths import SMALL

# minutes on the wall clock each: make live, run by .ci/run (not make test)
pytestmark = pytest.mark.live

SEEDS = (1, 2)


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """reference (under test), served=the served reference, dead=a closed port; as --json."""
    out = tmp_path_factory.mktemp("compare-live") / "out"
    dead = f"http://127.0.0.1:{free_port()}"
    with ServedDesign("reference") as url:
        code, stdout, _ = invoke(
            "compare", str(SMALL), "--design", "reference", "--integration", f"served={url}",
            "--integration", f"dead={dead}", "--seeds", str(len(SEEDS)), "--workers", "1",
            "--budget", "300", "--out", str(out), "--json",
        )  # fmt: skip
    return {"code": code, "summary": json.loads(stdout), "out": out, "url": url, "dead": dead}


def _verdicts(folder: Path) -> dict[str, str]:
    with (folder / "items.csv").open(newline="") as rows:
        return {row["source_id"]: row["verdict"] for row in csv.DictReader(rows)}


def _run_metrics(out: Path, column: str, seed: int) -> dict[str, Any]:
    metrics: dict[str, Any] = json.loads(
        (out / "runs" / column / f"seed-{seed}" / "metrics.json").read_text()
    )
    return metrics


@pytest.mark.slow
def test_both_columns_hold_every_invariant_and_the_dead_one_failed(
    compared: dict[str, Any],
) -> None:
    summary = compared["summary"]
    assert compared["code"] == 0  # the design under test (reference) held on every seed
    assert summary["designs"] == ["reference", "served", "dead"]
    assert summary["integrations"] == {"served": compared["url"], "dead": compared["dead"]}
    assert summary["failing_seeds"] == {"reference": [], "served": [], "dead": [1, 2]}
    for column in ("reference", "served"):
        assert summary["verdicts"][column] == (
            f"under small-firm, {column} held every invariant on all 2 seeds"
        )
    assert "failed to run in 2 of 2 seeds" in summary["verdicts"]["dead"]
    errors = summary["errors"]["dead"]
    assert [e["seed"] for e in errors] == [1, 2]
    assert all("IntegrationFailed" in e["error"] and "not reachable" in e["error"] for e in errors)
    for seed in SEEDS:  # the failed seed's folder says why, as q2c run --integration does
        folder = compared["out"] / "runs" / "dead" / f"seed-{seed}"
        assert "not reachable" in json.loads((folder / "live.json").read_text())["failed"]
        assert "--integration " + compared["dead"] in (folder / "command.txt").read_text()
        assert not (folder / "metrics.json").exists()


@pytest.mark.slow
def test_the_figures_are_those_of_the_run_folders(compared: dict[str, Any]) -> None:
    """Every figure of every column, the live ones included, is its run folder's own value,
    its median/min/max those of the seeds; the dead column has none; in-process has no live."""
    out = compared["out"]
    report = json.loads((out / "compare.json").read_text())
    keys = [f["key"] for f in report["figures"]]
    assert {"live.wall_s", "live.cpu_s", "live.simulated_per_wall"} <= set(keys)
    live_reads = {
        "live.wall_s": ("time", "wall_s"),
        "live.busy_wall_s": ("time", "busy_wall_s"),
        "live.cpu_s": ("time", "cpu_s_sandbox"),
        "live.simulated_per_wall": ("time", "simulated_per_wall"),
        "live.nonconforming": ("traffic", "nonconforming_requests"),
    }
    for column in ("reference", "served"):
        runs = [_run_metrics(out, column, seed) for seed in SEEDS]
        assert [m["design"] for m in runs] == [
            "reference" if column == "reference" else "external"
        ] * 2
        for key in keys:
            figure = report["designs_summary"][column]["figures"][key]
            if key in live_reads:
                section, name = live_reads[key]
                expected = [m["live"][section][name] if "live" in m else None for m in runs]
            else:
                expected = [_from_run(m, key) for m in runs]
            assert figure["values"] == expected, (column, key)
            present = [Decimal(str(v)) for v in expected if v is not None]
            if present:
                assert Decimal(str(figure["median"])) == statistics.median(present), key
                assert Decimal(str(figure["min"])) == min(present), key
                assert Decimal(str(figure["max"])) == max(present), key
    figures = report["designs_summary"]
    assert figures["reference"]["figures"]["live.wall_s"]["present"] == 0
    assert figures["served"]["figures"]["live.wall_s"]["min"] > 0
    assert figures["served"]["figures"]["live.nonconforming"]["max"] == 0
    assert all(f["present"] == 0 for f in figures["dead"]["figures"].values())
    # the oracle's verdict per item is the same in and out of process (docs/live.md: the
    # invoice times may differ by fractions of a simulated second, the verdicts do not)
    for seed in SEEDS:
        verdicts = [_verdicts(out / "runs" / c / f"seed-{seed}") for c in ("reference", "served")]
        assert verdicts[0] == verdicts[1]
        assert verdicts[0]  # every billable item of the seed


@pytest.mark.slow
def test_the_page_and_the_run_folders_report(compared: dict[str, Any]) -> None:
    """compare.html names the integrations and the dead one's failures; a live seed's own
    report, HTML and PDF, has the external-integration section."""
    out = compared["out"]
    page = (out / "compare.html").read_text()
    assert compared["url"] in page and "run-errors" in page and "not reachable" in page
    folder = out / "runs" / "served" / "seed-1"
    assert (folder / "live.json").is_file()
    build_report(folder)
    assert "External integration" in (folder / "report.html").read_text()
    text = " ".join(
        page.get_textpage().get_text_range() for page in pdfium.PdfDocument(folder / "report.pdf")
    )
    assert "External integration" in text and compared["url"] in text
    assert "requests to the vendors" in text


def test_a_table_with_integrations_only_and_the_first_failing_exits_1(tmp_path: Path) -> None:
    """No --design: the first integration is under test; it is down on its seed, so exit 1,
    with the table's failed-runs row and both failures named; nothing crashes."""
    first, second = (f"http://127.0.0.1:{free_port()}" for _ in range(2))
    code, stdout, _ = invoke(
        "compare", str(SMALL), "--integration", first, "--integration", f"other={second}",
        "--seeds", "1", "--out", str(tmp_path / "c"), "--no-report",
    )  # fmt: skip
    assert code == 1
    text = words(stdout)
    assert "seeds failed to run 1 of 1 1 of 1" in text
    assert f"{first} seed 1 failed to run: IntegrationFailed" in text
    assert "other seed 1 failed to run" in text
    report = json.loads((tmp_path / "c" / "compare.json").read_text())
    assert report["under_test"] == first and report["exit_code"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--integration", "served=ftp://x"], "[NAME=]URL"),
        (["--integration", "=http://127.0.0.1:9"], "[NAME=]URL"),
        (["--integration", "reference=http://127.0.0.1:9"], "named twice"),
        (["--integration", "http://127.0.0.1:9", "--design", "nosuch"], "nosuch"),
    ],
)
def test_bad_integrations_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    code, _, err = invoke(
        "compare", str(SMALL), "--design", "reference", *args, "--out", str(tmp_path / "c")
    )
    assert code == 2
    assert message in words(err)
    assert not (tmp_path / "c" / "compare.json").exists()
