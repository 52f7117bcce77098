"""The flagship scenario end to end: every invariant holds with 10,000+ billable items, and the
run is byte-for-byte reproducible, whatever PYTHONHASHSEED says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sim.runner import RunResult, run
from sim.scenario.format import Scenario
from tests.runner.test_golden import FLAGSHIP_SEED_7_TRACE
from tests.support.paths import FLAGSHIP, ROOT

pytestmark = pytest.mark.slow
SEED = 7


@pytest.fixture(scope="module")
def flagship_result(flagship: Scenario) -> RunResult:
    return run(flagship, SEED)


@pytest.fixture(scope="module")
def flagship_run(flagship_result: RunResult) -> dict:
    return flagship_result.metrics


def test_flagship_bills_every_item_correctly(flagship_run: dict) -> None:
    """Seed 7: accuracy 1.0 by count and amount over 10,000+ items, no violation."""
    m = flagship_run
    assert m["invariants"] == {"ok": True, "violations": []}
    assert m["items"]["billable"] >= 10_000
    assert m["items"]["correct"] + m["items"]["held"] == m["items"]["billable"]
    assert m["items"]["held"] == sum(m["held_by_reason"].values()) > 0
    assert set(m["held_by_reason"]) == {"missing_receipt"}
    assert m["items_by_kind"]["expense"]["correct"] > 100
    assert m["accuracy"]["by_count"] == 1.0
    assert m["accuracy"]["by_amount"] == 1.0
    assert set(m["amounts"]) == {"EUR", "GBP", "USD", "INR"}
    assert m["items_by_kind"]["billing_milestone"]["correct"] == 4
    assert m["core"]["failed_flows"] == 0


def test_flagship_metrics_have_cycle_times(flagship_run: dict) -> None:
    """Every cycle-time measure has samples and ordered percentiles."""
    for name, stats in flagship_run["cycle_times_hours"].items():
        assert stats["count"] > 0, name
        assert stats["p50"] <= stats["p95"] <= stats["p99"] <= stats["max"], name


def _cli_run(out: Path, hashseed: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": hashseed, "COLUMNS": "120"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sim.app.cli",
            "run",
            str(FLAGSHIP),
            "--seed",
            str(SEED),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_cli_runs_are_identical_across_hash_seeds(flagship_run: dict, tmp_path: Path) -> None:
    """`q2c run` twice, PYTHONHASHSEED=0 and =1: same trace_sha256, same metrics, same trace."""
    outs = []
    for hashseed in ("0", "1"):
        out = tmp_path / f"hash{hashseed}"
        done = _cli_run(out, hashseed)
        assert done.returncode == 0, done.stderr + done.stdout
        assert "All invariants hold" in done.stdout
        assert {p.name for p in out.iterdir()} >= {
            "metrics.json",
            "trace.jsonl",
            "items.csv",
            "report.html",
            "command.txt",
        }
        outs.append(out)
    first, second = (json.loads((o / "metrics.json").read_text()) for o in outs)
    assert first["trace_sha256"] == second["trace_sha256"] == flagship_run["trace_sha256"]
    assert (outs[0] / "metrics.json").read_bytes() == (outs[1] / "metrics.json").read_bytes()
    assert (outs[0] / "trace.jsonl").read_bytes() == (outs[1] / "trace.jsonl").read_bytes()


def test_the_flagship_trace_is_the_golden_one(flagship_run: dict) -> None:
    """A change that alters the flagship's behaviour is noticed (see test_golden.py)."""
    assert flagship_run["trace_sha256"] == FLAGSHIP_SEED_7_TRACE


def test_another_seed_gives_another_trace(flagship: Scenario, flagship_run: dict) -> None:
    """The seed matters: seed 8 draws other people, lags and entries."""
    assert run(flagship, SEED + 1).metrics["trace_sha256"] != flagship_run["trace_sha256"]


def test_nobody_bills_a_weekend_or_a_national_holiday(flagship_result: RunResult) -> None:
    """No work on Saturdays, Sundays or the consultant's own national holidays."""
    world = flagship_result.world
    days = [(t.country, t.work_date) for t in world.truth.time.values()]
    assert all(day.weekday() < 5 for _, day in days)
    assert not [d for d in days if world.calendar.holiday(*d)]
    worked = set(days)
    # 2026-05-25 is Whit Monday in DE, the spring bank holiday in GB, Memorial Day in the US,
    # and an ordinary Monday in India.
    for country in ("DE", "GB", "US"):
        assert (country, date(2026, 5, 25)) not in worked
    assert ("IN", date(2026, 5, 25)) in worked
    assert ("IN", date(2026, 1, 26)) not in worked  # Republic Day
    assert ("DE", date(2026, 1, 26)) in worked


def test_the_firm_is_messy_like_a_real_one(flagship_result: RunResult) -> None:
    """Late entries, corrections, rejected timesheets and approval lag all occur."""
    world = flagship_result.world
    times = list(world.truth.time.values())
    assert sum(t.late for t in times) > 100
    assert sum(t.corrected for t in times) > 50
    assert world.trace.kinds["world.timesheet_rejected"] > 10
    lags = sorted(
        (t.approved_at - t.logged_at).days for t in times if t.approved_at and t.logged_at
    )
    assert lags[0] <= 3 and lags[-1] >= 10
    assert len({t.consultant for t in times}) >= 40
