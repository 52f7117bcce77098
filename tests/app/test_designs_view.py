"""`q2c designs list`, and the guide's worked example run as a user would: from its file path
and, installed as a package's ``q2c.designs`` entry point, by name, outside the repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import invoke, words
from tests.support.paths import ROOT

EXAMPLE = Path("examples") / "designs" / "lean.py"
LIBRARY = ROOT / "scenarios" / "milestone-fixed-fee.yaml"  # fixed fees, hours, change orders


def test_designs_list_shows_the_built_in_ones() -> None:
    code, stdout, _ = invoke("designs", "list")
    assert code == 0
    said = words(stdout)
    assert "reference orchestrator.reference:build built-in" in said
    assert "q2c.designs" in said and "path/to/file.py:factory" in said


def test_designs_list_as_json() -> None:
    code, stdout, _ = invoke("designs", "list", "--json")
    assert code == 0
    listed = json.loads(stdout)
    assert listed["entry_point_group"] == "q2c.designs"
    assert {"name": "reference", "target": "orchestrator.reference:build", "source": "built-in",
            "shadowed": False} in listed["designs"]  # fmt: skip


@pytest.mark.slow
def test_the_worked_example_runs_from_its_file_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative path from the working folder, no PYTHONPATH: every invariant holds."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    out = tmp_path / "run"
    out.mkdir()
    (out / "design-error.txt").write_text("an earlier run's failure\n")  # goes with the new run
    design = f"{EXAMPLE}:build"
    code, stdout, stderr = invoke(
        "run", str(LIBRARY), "--design", design, "--out", str(out), "--no-report", "--json"
    )
    summary = json.loads(stdout)
    assert code == 0, (summary["broken_invariants"], stderr)
    assert summary["ok"] is True and summary["design"] == design
    assert summary["items"]["correct"] == summary["items"]["billable"] > 500
    assert f"--design {design}" in (out / "command.txt").read_text()
    assert not (out / "design-error.txt").exists()


def _installed_example(site: Path) -> None:
    """What ``pip install`` of a one-module package registering the example leaves."""
    (site / "acme_designs.py").write_text((ROOT / EXAMPLE).read_text())
    dist = site / "acme_designs-0.3.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-designs\nVersion: 0.3.0\n")
    (dist / "entry_points.txt").write_text("[q2c.designs]\nacme-lean = acme_designs:build\n")


def _q2c(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-m", "sim.app.cli", *args], env=env, cwd=cwd, capture_output=True,
        text=True, timeout=600, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_the_worked_example_runs_as_an_installed_entry_point(tmp_path: Path) -> None:
    """Registered by a distribution on the path of a fresh process, listed with where it comes
    from, run by its name from a folder outside the repository."""
    site, work = tmp_path / "site", tmp_path / "work"
    site.mkdir()
    work.mkdir()
    _installed_example(site)
    listed = _q2c(site, work, "designs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {"name": "acme-lean", "target": "acme_designs:build",
            "source": "acme-designs 0.3.0", "shadowed": False} in json.loads(listed.stdout)[
        "designs"]  # fmt: skip
    done = _q2c(site, work, "run", str(LIBRARY), "--design", "acme-lean", "--out", "run",
                "--no-report", "--json")  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = json.loads(done.stdout)
    assert summary["ok"] is True and summary["design"] == "acme-lean"
    assert (work / "run" / "metrics.json").is_file()
