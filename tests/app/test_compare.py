"""`q2c compare`: two designs on the small firm with an ERP outage across its first billing
run, two seeds each. The comparison's figures are those of the run folders it wrote, the exit
code follows the first design named, bad input exits 2 before any run, --json parses.

Runs in this process, one worker (``--workers 1``): spawning processes would cost more than
the four small runs themselves.
"""

from __future__ import annotations

import json
import statistics
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import invoke, words
from tests.support.paths import SMALL

FORGETFUL = "tests.support.designs:forgetful"  # never bills milestones: leaks EUR 25,000
OUTAGE = """
faults:
  heal: 2026-06-10
  vendors:
    erp:
      outages:
        - {start: 2026-04-07T05:30:00, end: 2026-04-07T07:30:00, mode: refused}
"""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    file = tmp_path_factory.mktemp("compare-scenario") / "small-outage.yaml"
    file.write_text(SMALL.read_text() + OUTAGE)
    return file


@pytest.fixture(scope="module")
def compared(scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """reference (under test) against forgetful, seeds 1-2, as --json."""
    out = tmp_path_factory.mktemp("compare") / "out"
    code, stdout, _ = invoke(
        "compare", str(scenario), "--design", "reference", "--design", FORGETFUL,
        "--seeds", "2", "--workers", "1", "--out", str(out), "--json",
    )  # fmt: skip
    return {"code": code, "summary": json.loads(stdout), "out": out}


def _metrics(out: Path, design_folder: str, seed: int) -> dict[str, Any]:
    return json.loads((out / "runs" / design_folder / f"seed-{seed}" / "metrics.json").read_text())


def _from_run(m: dict[str, Any], key: str) -> Any:
    """The figure ``key`` read straight from one run's metrics.json (independently of
    ``sim._compare_figures``)."""
    parts = key.split(".")
    if key == "invariants.violations":
        return len(m["invariants"]["violations"])
    if parts[0] == "items":
        return m["items"][parts[1]]
    if parts[0] == "amount":
        return m["amounts"][parts[2]][parts[1]]
    if parts[0] == "cycle":
        where = {
            "project": m["cycle_times_hours"]["contract_executed_to_project_active"],
            "invoice": m["cycle_times_hours"]["time_approved_to_invoiced"],
            "paid": m["cash"]["invoiced_to_paid_hours"],
        }[parts[1]]
        return where[parts[2]]
    if parts[0] == "dso":
        return m["cash"]["by_currency"][parts[1]]["dso_days"]
    if key == "exceptions.opened":
        return m["exceptions"]["opened"]
    if key == "exceptions.open_at_end":
        return m["exceptions"]["open_at_end"]
    if parts[:2] == ["exceptions", "close"]:
        close = next(c for c in m["exceptions"]["at_closes"] if c["period"] == parts[2])
        return close[parts[3]]
    if key == "calls.per_item":
        return m["calls_per_billable_item"]
    if parts[0] == "vendor":
        return m["vendors"][parts[1]][parts[2]]
    if key == "recovery.hours":
        return m["outage_recovery"]["hours"]
    if key == "recovery.never":
        return sum(1 for o in m["outage_recovery"]["outages"] if o["hours"] is None)
    raise AssertionError(f"no reading for {key}")


def test_the_figures_are_those_of_the_run_folders(compared: dict[str, Any]) -> None:
    """Every figure of compare.json, for every design and seed, is the run folder's own value,
    and its median/min/max are those of the seeds' values (money as exact decimals)."""
    out = compared["out"]
    report = json.loads((out / "compare.json").read_text())
    folders = {"reference": "reference", FORGETFUL: "tests.support.designs-forgetful"}
    keys = [f["key"] for f in report["figures"]]
    assert {"amount.leaked.EUR", "cycle.invoice.p95", "dso.GBP", "recovery.hours",
            "exceptions.close.2026-03.open", "vendor.erp.retries"} <= set(keys)  # fmt: skip
    for design, folder in folders.items():
        runs = [_metrics(out, folder, seed) for seed in (1, 2)]
        assert [m["design"] for m in runs] == [design, design]
        for key in keys:
            figure = report["designs_summary"][design]["figures"][key]
            expected = [_from_run(m, key) for m in runs]
            assert figure["values"] == expected, key
            present = [Decimal(str(v)) for v in expected if v is not None]
            if present:
                assert Decimal(str(figure["median"])) == statistics.median(present), key
                assert Decimal(str(figure["min"])) == min(present), key
                assert Decimal(str(figure["max"])) == max(present), key


def test_the_outage_and_the_forgotten_milestones_show(compared: dict[str, Any]) -> None:
    """The ERP outage held up the March billing run (recovery takes hours, exceptions open at
    the March close) and forgetful leaks the EUR 25,000 milestone on both seeds."""
    figures = compared["summary"]["figures"]
    ref, forgetful = figures["reference"], figures[FORGETFUL]
    assert ref["recovery.hours"]["min"] > 1
    assert ref["exceptions.close.2026-03.open"]["max"] >= 1
    assert ref["amount.leaked.EUR"]["max"] == "0"
    assert forgetful["amount.leaked.EUR"]["values"] == ["25000.00", "25000.00"]
    verdicts = compared["summary"]["verdicts"]
    assert verdicts["reference"] == (
        "under small-firm, reference held every invariant on all 2 seeds"
    )
    assert verdicts[FORGETFUL] == (
        f"under small-firm, {FORGETFUL} leaked in 2 of 2 seeds, median EUR 25,000"
    )


def test_json_summary_and_files(compared: dict[str, Any]) -> None:
    """--json prints one document naming the files; the reference held, so exit 0; each run
    folder is a complete `q2c run` folder (re-judgeable) and the HTML was written."""
    summary, out = compared["summary"], compared["out"]
    assert compared["code"] == 0
    assert summary["ok"] is True and summary["exit_code"] == 0
    assert summary["designs"] == ["reference", FORGETFUL]
    assert summary["seeds"] == [1, 2]
    assert summary["failing_seeds"] == {"reference": [], FORGETFUL: [1, 2]}
    assert Path(summary["compare_json"]) == out / "compare.json"
    assert Path(summary["compare_html"]).is_file()
    seed_folder = out / "runs" / "reference" / "seed-2"
    for name in ("metrics.json", "trace.jsonl", "items.csv", "command.txt", "scenario.json"):
        assert (seed_folder / name).is_file(), name
    command = (seed_folder / "command.txt").read_text()
    assert command.startswith("q2c run ") and "--seed 2 --design reference" in command


def test_exit_1_when_the_first_design_fails_and_the_table(scenario: Path, tmp_path: Path) -> None:
    """Named first, forgetful is the design under test: it leaks, so exit 1, with the table,
    both verdicts and the line that reproduces its failing seed."""
    code, out, _ = invoke(
        "compare", str(scenario), "--design", FORGETFUL, "--design", "reference",
        "--seeds", "1", "--workers", "1", "--out", str(tmp_path / "c"), "--no-report",
    )  # fmt: skip
    assert code == 1
    text = words(out)
    assert "leaked EUR 25,000.00 0.00" in text and "outages never recovered from" in text
    assert f"under small-firm, {FORGETFUL} leaked in 1 of 1 seeds, median EUR 25,000" in text
    assert "under small-firm, reference held every invariant on all 1 seeds" in text
    assert f"q2c run {scenario} --seed 1 --design {FORGETFUL}" in text
    assert not (tmp_path / "c" / "compare.html").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--design", "reference", "--design", "nosuch"], "nosuch"),
        (["--design", "reference"], "at least two designs"),
        (["--design", "reference", "--design", "reference"], "named twice"),
    ],
)
def test_bad_designs_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    """An unknown design, one design or the same one twice: exit 2 before any run."""
    code, _, err = invoke("compare", str(SMALL), *args, "--out", str(tmp_path / "c"))
    assert code == 2
    assert message in words(err)
    assert not (tmp_path / "c" / "compare.json").exists()


def test_bad_scenario_exits_2(tmp_path: Path) -> None:
    """A scenario with a wrong field is reported with its line and field path, exit 2."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.read_text().replace("currency: GBP, locale", "currency: XXX, locale"))
    code, _, err = invoke(
        "compare", str(bad), "--design", "reference", "--design", FORGETFUL,
        "--out", str(tmp_path / "c"),
    )  # fmt: skip
    assert code == 2
    assert f"{bad}:" in err and "legal_entities" in err
