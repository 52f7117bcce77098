"""Every notebook in notebooks/ runs top to bottom on files only: `explore-a-run` on a run
folder, `explore-a-swarm` on a swarm folder (its swarm.json)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from reports import build_report
from sim.runner import run_scenario
from sim.scenario import load_scenario
from sim.swarm import swarm, swarm_report, write_swarm
from tests.support.paths import ROOT, SMALL

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
RUN_NOTEBOOK = ROOT / "notebooks" / "explore-a-run.ipynb"
SWARM_NOTEBOOK = ROOT / "notebooks" / "explore-a-swarm.ipynb"
COMPARE_NOTEBOOK = ROOT / "notebooks" / "compare-designs.ipynb"  # tests/notebooks/test_compare_*
# the small firm with webhook chaos: each seed draws its own (as tests/swarm/test_swarm.py)
FAULTS_YAML = """
faults:
  heal: 2026-06-01
  webhooks:
    psa: {duplicate: 0.4, reorder: 0.5, max_delay_s: 7200, drop: 0.3}
"""


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small run with its report and invoice register, written before any notebook opens."""
    out = tmp_path_factory.mktemp("notebook-run") / "run"
    run_scenario(SMALL, 3, out=out)
    build_report(out, pdf=False)
    return out


@pytest.fixture(scope="module")
def swarm_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A swarm of three seeds of the small firm with webhook chaos, against a design that
    forgets items (so every seed fails and has a reproduce command)."""
    base = tmp_path_factory.mktemp("notebook-swarm")
    file = base / "small-chaos.yaml"
    file.write_text(SMALL.read_text() + FAULTS_YAML)
    design = "tests.support.designs:forgetful"
    started = time.perf_counter()
    outcomes = swarm(str(file), range(1, 4), design)
    report = swarm_report(
        str(file), load_scenario(file), outcomes, design, {}, 1, time.perf_counter() - started
    )
    write_swarm(report, base / "swarm")
    return base / "swarm"


def _execute(path: Path, folder: Path) -> str:
    """Run the notebook; the text it printed. Fails on an error cell, on no figure, on a
    change to the folder other than the figures it saves, or on the simulator in its source."""
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    outputs: list[Any] = [
        o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
    ]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    after = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert {k: v for k, v in after.items() if not k.startswith("notebook-")} == before
    source = "".join(cell.source for cell in notebook.cells)
    assert "import sim" not in source and "from sim" not in source  # files only
    assert "run_scenario" not in source and "swarm(" not in source
    return "".join(o.get("text", "") for o in outputs)


@pytest.mark.slow
def test_run_notebook_runs_top_to_bottom(run_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """explore-a-run executes from the run folder alone."""
    monkeypatch.setenv("Q2C_RUN_DIR", str(run_folder))
    text = _execute(RUN_NOTEBOOK, run_folder)
    assert "invariants hold" in text
    assert "every document adds up" in text


@pytest.mark.slow
def test_swarm_notebook_runs_top_to_bottom(
    swarm_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """explore-a-swarm executes from swarm.json alone and lists each failing seed with the
    command that reproduces it."""
    monkeypatch.setenv("Q2C_SWARM_DIR", str(swarm_folder))
    text = _execute(SWARM_NOTEBOOK, swarm_folder)
    assert "3 seeds, 3 failing" in text
    for seed in (1, 2, 3):
        assert f"failing seed {seed}: " in text
        assert (
            f"reproduce: q2c run {swarm_folder.parent / 'small-chaos.yaml'} --seed {seed} " in text
        )


def test_every_notebook_is_executed_by_a_test() -> None:
    """The notebooks folder holds exactly the notebooks the tests above run (so none is left
    out, and neither test passes vacuously)."""
    assert sorted([RUN_NOTEBOOK, SWARM_NOTEBOOK, COMPARE_NOTEBOOK]) == NOTEBOOKS
