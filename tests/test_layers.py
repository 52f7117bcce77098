"""The brief's layer rules, enforced by import-linter, plus the repo's lint and type rules."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.paths import ROOT

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_import_contracts_hold() -> None:
    """lint-imports: the core, the mocks, the oracle and the reports keep to their layers."""
    done = _run(_tool("lint-imports"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
    assert "4 kept" in done.stdout


def test_ruff_lint_and_format_are_clean() -> None:
    """ruff check and ruff format --check pass on the whole repository."""
    lint = _run(_tool("ruff"), "check", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run(_tool("ruff"), "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_passes_strict_on_the_core() -> None:
    """mypy (strict on orchestrator/) finds no error."""
    done = _run(_tool("mypy"))
    assert done.returncode == 0, done.stdout + done.stderr
