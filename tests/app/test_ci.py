"""q2c in a CI pipeline: `--json` summaries that are the only thing on stdout (`run`, `swarm`,
`contracts check`), `--version`, shell completion, and a reproduce line that is never wrapped.

Each case runs the small scenario (seconds) or one vendor's conformance suite with few examples.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

import contracts.conformance
from contracts.conformance import fixture
from mocks import Reply
from tests.support.cli import invoke
from tests.support.paths import SMALL

FORGETFUL = "tests.support.designs:forgetful"  # leaks items: every run of it fails


def test_version_is_the_package_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0
    assert out == f"q2c {version('q2c-sandbox')}\n"


def test_help_offers_shell_completion() -> None:
    code, out, _ = invoke("--help")
    assert code == 0
    assert "--install-completion" in out and "--show-completion" in out


def test_run_json_is_the_only_thing_on_stdout(tmp_path: Path) -> None:
    """A failing run's summary parses as JSON from stdout alone: verdict, broken invariants,
    files, and the line that reproduces it (command.txt's)."""
    out = tmp_path / "run"
    code, stdout, _ = invoke(
        "run", str(SMALL), "--seed", "3", "--design", FORGETFUL, "--out", str(out),
        "--no-report", "--json",
    )  # fmt: skip
    assert code == 1
    summary = json.loads(stdout)
    assert summary["ok"] is False and summary["exit_code"] == 1
    assert summary["violations"] > 0 and summary["broken_invariants"]
    assert summary["reproduce"] == (out / "command.txt").read_text().strip()
    assert summary["run_folder"] == str(out)
    assert set(summary["files"]) == {"metrics.json", "items.csv"}
    assert summary["items"]["billable"] > 0


def test_the_reproduce_line_is_never_wrapped(tmp_path: Path) -> None:
    """Piped (no terminal: 80 columns), a command longer than the width stays on one line."""
    out = tmp_path / "a-run-folder-with-a-long-enough-name"
    code, stdout, _ = invoke(
        "run", str(SMALL), "--seed", "3", "--design", FORGETFUL, "--out", str(out), "--no-report"
    )
    assert code == 1
    command = (out / "command.txt").read_text().strip()
    assert len(command) > 80
    assert f"Reproduce with: {command}" in stdout.splitlines()


def test_swarm_json_names_each_failing_seed_and_its_command(tmp_path: Path) -> None:
    code, stdout, _ = invoke(
        "swarm", str(SMALL), "--seeds", "2", "--workers", "1", "--design", FORGETFUL,
        "--out", str(tmp_path), "--json",
    )  # fmt: skip
    assert code == 1
    summary = json.loads(stdout)
    assert summary["ok"] is False and summary["seeds"] == 2
    assert [f["seed"] for f in summary["failing"]] == [1, 2]
    for failing in summary["failing"]:
        assert failing["violations"] > 0
        assert failing["reproduce"].startswith(f"q2c run {SMALL} --seed {failing['seed']}")
    assert Path(summary["swarm_json"]) == tmp_path / "swarm.json"


def test_contracts_check_json_lists_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CLM mock that answers an undeclared 418: the JSON on stdout names the failure and the
    code that reproduces it; exit 1."""

    def broken(vendor: str, *args: Any, **kwargs: Any) -> Any:
        mock = fixture(vendor, *args, **kwargs)
        teapot = lambda call: Reply(418, {"oops": True})  # noqa: E731
        mock.app._routes = [
            (method, regex, teapot if method == "GET" else handler, scope)
            for method, regex, handler, scope in mock.app._routes
        ]
        return mock

    monkeypatch.setattr(contracts.conformance, "fixture", broken)
    code, stdout, _ = invoke("contracts", "check", "--vendor", "clm", "--examples", "2", "--json")
    assert code == 1
    summary = json.loads(stdout)
    assert summary["ok"] is False and summary["vendors_failing"] == ["clm"]
    clm = summary["vendors"]["clm"]
    assert clm["conformance_percent"] < 100 and clm["operations"] > 0
    failures = clm["failures"]
    assert any(f["operation"].startswith("GET /public/api/v1/records") for f in failures)
    assert all(f["reproduce"] for f in failures)
