"""compare.html: built from a comparison folder's files alone (compare.json and the run folders'
metrics.json), with its verdicts, the side-by-side table, its charts and why money was lost."""

from __future__ import annotations

import base64
import json
import re
import shutil
import time
from pathlib import Path

import pytest

from reports import RunFolderError
from reports.compare import build_compare
from sim.compare import compare, comparison, write_comparison
from sim.scenario import load_scenario
from tests.support.paths import SMALL

FORGETFUL = "tests.support.designs:forgetful"
PNG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """reference against forgetful on the small firm, one seed, then moved elsewhere: the page
    is built from the moved folder (files only, no live objects, no absolute paths)."""
    out = tmp_path_factory.mktemp("compare-report") / "made-here"
    designs = ["reference", FORGETFUL]
    started = time.perf_counter()
    outcomes = compare(str(SMALL), designs, range(1, 2), out)
    report = comparison(str(SMALL), load_scenario(SMALL), designs, range(1, 2), outcomes, out,
                        False, 1, time.perf_counter() - started)  # fmt: skip
    write_comparison(report, out)
    moved = out.parent / "moved"
    shutil.move(str(out), moved)
    return moved


def test_the_page_renders_with_its_charts(folder: Path) -> None:
    """Verdicts, the table (money lost in red), one chart per currency plus cycle times,
    exceptions at the closes and calls, each a real PNG; the causes and the run folders."""
    html = build_compare(folder).read_text(encoding="utf-8")
    assert "under small-firm, reference held every invariant on all 1 seeds" in html
    assert f"under small-firm, {FORGETFUL} leaked in 1 of 1 seeds, median EUR 25,000" in html
    assert '<td class="num bad">25,000.00' in html  # leaked EUR, forgetful's column
    charts = PNG.findall(html)
    assert len(charts) == 2 + 3  # EUR and GBP money, cycle times, closes, calls
    for chart in charts:
        assert base64.b64decode(chart).startswith(b"\x89PNG\r\n\x1a\n")
    causes = html[html.index('<table id="causes">') :]
    assert "Never invoiced: 1" in causes  # the oracle's cause for the forgotten milestone
    assert 'href="runs/tests.support.designs-forgetful/seed-1/metrics.json"' in html


def test_a_folder_without_compare_json_is_refused(tmp_path: Path) -> None:
    """Not a comparison folder: a clear error naming it, no page written."""
    with pytest.raises(RunFolderError, match="not a comparison folder"):
        build_compare(tmp_path)
    assert not (tmp_path / "compare.html").exists()


def test_the_page_reads_the_causes_from_the_run_folders(folder: Path, tmp_path: Path) -> None:
    """The causes come from each run's metrics.json: edit one and the page says so."""
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    metrics = copy / "runs" / "reference" / "seed-1" / "metrics.json"
    data = json.loads(metrics.read_text())
    data["leaked_by_cause"] = {"made_up_cause": 7}
    metrics.write_text(json.dumps(data))
    html = build_compare(copy).read_text(encoding="utf-8")
    assert "Made up cause: 7" in html
