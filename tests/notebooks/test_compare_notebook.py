"""`compare-designs` runs top to bottom on a comparison folder alone (its compare.json and run
folders), says each design's verdict and lists the failing seeds with their reproduce lines."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sim.compare import compare, comparison, write_comparison
from sim.scenario import load_scenario
from tests.notebooks.test_notebooks import COMPARE_NOTEBOOK, _execute
from tests.support.paths import SMALL

FORGETFUL = "tests.support.designs:forgetful"


@pytest.fixture(scope="module")
def compare_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """reference against forgetful (which leaks its milestones) on the small firm, one seed."""
    out = tmp_path_factory.mktemp("notebook-compare") / "compare"
    designs = ["reference", FORGETFUL]
    started = time.perf_counter()
    outcomes = compare(str(SMALL), designs, range(1, 2), out)
    report = comparison(str(SMALL), load_scenario(SMALL), designs, range(1, 2), outcomes, out,
                        False, 1, time.perf_counter() - started)  # fmt: skip
    write_comparison(report, out)
    return out


@pytest.mark.slow
def test_compare_notebook_runs_top_to_bottom(
    compare_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """compare-designs executes from the comparison folder alone, with its chart."""
    monkeypatch.setenv("Q2C_COMPARE_DIR", str(compare_folder))
    text = _execute(COMPARE_NOTEBOOK, compare_folder)
    assert "small-firm (" in text and "2 designs x 1 seeds" in text
    assert "under small-firm, reference held every invariant on all 1 seeds" in text
    assert f"under small-firm, {FORGETFUL} leaked in 1 of 1 seeds, median EUR 25,000" in text
    assert "reference: 1 seeds, 0 failing" in text
    assert f"{FORGETFUL}: 1 seeds, 1 failing" in text
    assert f"reproduce: q2c run {SMALL} --seed 1 --design {FORGETFUL}" in text
