"""Every notebook in notebooks/ runs top to bottom on a run folder, reading its files only."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from reports import build_report
from sim.runner import run_scenario
from tests.support.paths import ROOT, SMALL

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small run with its report and invoice register, written before any notebook opens."""
    out = tmp_path_factory.mktemp("notebook-run") / "run"
    run_scenario(SMALL, 3, out=out)
    build_report(out, pdf=False)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(
    path: Path, run_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notebook executes without error from the run folder alone, leaving it unchanged
    except for the figures it saves."""
    monkeypatch.setenv("Q2C_RUN_DIR", str(run_folder))
    before = {p.name: p.stat().st_mtime_ns for p in run_folder.iterdir()}
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "invariants hold" in text
    assert "every document adds up" in text
    assert any("image/png" in o.get("data", {}) for o in outputs)
    after = {p.name: p.stat().st_mtime_ns for p in run_folder.iterdir()}
    assert {k: v for k, v in after.items() if not k.startswith("notebook-")} == before
    source = "".join(cell.source for cell in notebook.cells)
    assert "run_scenario" not in source and "import sim" not in source  # files only


def test_there_is_a_notebook() -> None:
    """The notebooks folder is not empty (so the test above cannot pass vacuously)."""
    assert NOTEBOOKS
