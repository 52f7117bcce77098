"""`q2c --help` and `q2c contracts diff` start without the simulator.

A user asking for help, or a CI job comparing two specs, must not wait for SimPy, the mocks,
the core, matplotlib or Schemathesis to load. Each case runs q2c in a fresh interpreter with
``-X importtime`` (which names every module the process imported) and checks the heavy ones
are absent. No wall time is asserted: machines are noisy; the import list is not.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT

# Never wanted before a command that needs them runs.
HEAVY = (
    "simpy",
    "matplotlib",
    "schemathesis",
    "hypothesis",
    "faker",
    "uvicorn",
    "mocks",
    "orchestrator",
    "reports",
    "sim.scenario",
    "sim.record",
    "sim.world",
    "sim.firm",
    "sim.oracle",
    "sim.metrics",
    "sim.runner",
    "sim.swarm",
    "sim.app.serve",
)
IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \| +(\S+)$", re.MULTILINE)


def _imports(*args: str) -> tuple[int, set[str]]:
    """Run q2c as its console script does (``sim.app.cli:app``); its exit code and every module
    it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from sim.app.cli import app; app()", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, set(IMPORTED.findall(done.stderr))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_the_probe_sees_imports() -> None:
    """The probe itself works: q2c's own modules show up in what it reads."""
    _, modules = _imports("--help")
    assert {"typer", "sim.app.cli", "sim.app.terminal"} <= modules


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_imports_nothing_heavy(flag: str) -> None:
    """`q2c --help` (which offers shell completion) and `q2c --version` load typer and rich,
    not the simulator, the mocks or the core."""
    code, modules = _imports(flag)
    assert code == 0
    assert _heavy(modules) == []


@pytest.mark.parametrize("what", ["real", "missing"])
def test_contracts_diff_imports_nothing_heavy(tmp_path: Path, what: str) -> None:
    """`q2c contracts diff OLD NEW` loads the diff and YAML only, whether it compares two real
    specs (exit 1: the ERP's v2 breaks clients) or is given files that do not exist (exit 2)."""
    old, new = tmp_path / "a.yaml", tmp_path / "b.yaml"
    if what == "real":
        shutil.copy(ROOT / "contracts" / "erp.yaml", old)
        shutil.copy(ROOT / "contracts" / "erp-v2.yaml", new)
    code, modules = _imports("contracts", "diff", str(old), str(new))
    assert code == (1 if what == "real" else 2)
    assert "contracts.diff" in modules
    assert _heavy(modules) == []


def test_a_run_without_report_imports_no_report_stack(tmp_path: Path) -> None:
    """`q2c run --no-report` simulates, judges and writes the folder: no matplotlib or report
    builder, and no pandas (the truth tables are built without ``pa.array``, which imports it
    on its first call: 0.25-0.3 s of every run)."""
    code, modules = _imports(
        "run", str(ROOT / "tests" / "scenarios" / "small.yaml"), "--seed", "1", "--no-report",
        "--json", "--out", str(tmp_path / "run"),
    )  # fmt: skip
    assert code == 0
    assert {"sim.runner", "sim.record.truth_files", "pyarrow.parquet"} <= modules
    unwanted = ("matplotlib", "pandas", "reports", "schemathesis", "jinja2")
    assert sorted(m for m in modules if m.split(".")[0] in unwanted) == []


def test_the_simulator_alone_imports_no_arrow() -> None:
    """A swarm's worker runs seeds and writes no folder: importing the runner leaves pyarrow
    and numpy (0.2 s) to the first run folder written."""
    code = (
        "import sys, sim.runner, sim.swarm\n"
        "print(sorted(m for m in ('pyarrow', 'numpy', 'pandas') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"
