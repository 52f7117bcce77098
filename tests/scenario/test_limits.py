"""No file can take the loader down, and no scenario that cannot be run honestly gets through.

Each bad input is loaded in a fresh subprocess that reports, per file, the problems found, the
seconds ``load_scenario`` took and the process's peak memory: each must be refused (a
``ScenarioError`` naming the field path, and the line when there is one) in under 2 s and
200 MB. Two of them also go through the installed ``q2c scenarios validate``: exit 2, no
traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

SMALL = (Path(__file__).resolve().parents[1] / "scenarios" / "small.yaml").read_text()


def _swap(old: str, new: str) -> str:
    assert SMALL.count(old) == 1, old
    return SMALL.replace(old, new)


def _bomb() -> str:
    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i in range(1, 10):
        name, prev = chr(ord("a") + i), chr(ord("a") + i - 1)
        text += f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]\n"
    return text


# file name -> (its text, or a maker; the field path; part of what was expected; has a line)
CASES: dict[str, tuple[str | Callable[[Path], None], str, str, bool]] = {
    "bomb": (_bomb(), "", "once its aliases are expanded", True),
    "aliases": (
        "c: &c {id: x}\nclients: [" + ", ".join(["*c"] * 5000) + "]\n",
        "",
        "at most 1000 aliases",
        True,
    ),
    "recursive": ("a: &a [*a]\n", "", "recursive alias", True),
    "deep-flow": ("a: " + "[" * 10_000 + "]" * 10_000 + "\n", "", "nesting at most", True),
    "deep-map": ("a: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n", "", "nesting", True),
    "nan": (
        _swap("DE: 110.10, IN: 48.50", "DE: .nan, IN: 48.50"),
        "contracts[0].versions[0].rates.engineer.DE",
        "a finite number",
        True,
    ),
    "inf": (
        _swap("late_entry_rate: 0.05", "late_entry_rate: -.inf"),
        "behaviour.late_entry_rate",
        "a finite number",
        True,
    ),
    "huge-int": (
        _swap("run_out_days: 35", "run_out_days: " + "9" * 5000),
        "run_out_days",
        "a finite number",
        True,
    ),
    "too-big": (
        "clients:\n" + "  - {id: c1, country: DE}\n" * 20_000,
        "",
        "at most 64 KiB",
        False,
    ),
    "many-staffing-lines": (
        _swap(
            "      - {role: engineer, country: GB, count: 2}\n",
            "      - {role: engineer, country: GB, count: 1}\n" * 201,
        ),
        "contracts[1].staffing",
        "at most 200 item(s)",
        True,
    ),
    "urandom": (lambda p: p.symlink_to("/dev/urandom"), "", "a regular file", False),
    "fifo": (lambda p: os.mkfifo(p), "", "a regular file", False),
    "folder": (lambda p: p.mkdir(), "", "a regular file", False),
    # runs that could not be honest
    "staff-xx": (
        _swap("{engineer: {GB: 95.25}}", "{engineer: {GB: 95.25, XX: 95.25}}").replace(
            "{role: engineer, country: GB, count: 2}", "{role: engineer, country: XX, count: 2}"
        ),
        "contracts[1].staffing[0].country",
        "a country with a public-holiday calendar",
        True,
    ),
    "locale": (
        _swap("locale: en_GB, legal_entity", "locale: en_SG, legal_entity"),
        "clients[1].locale",
        "a locale Faker has",
        True,
    ),
    "no-tax-rule": (
        _swap("country: GB, currency: GBP", "country: BR, currency: GBP"),
        "legal_entities[1].country",
        "a tax rule",
        True,
    ),
    "run-out": (
        _swap("run_out_days: 35", "run_out_days: 0"),
        "run_out_days",
        "the billing run for 2026-04",
        True,
    ),
    "zero-minutes": (
        _swap("behaviour:\n", "behaviour:\n  quarter_hours_per_day: {min: 0, max: 30}\n"),
        "behaviour.quarter_hours_per_day.min",
        "at least 1",
        True,
    ),
    "subdivision": (
        _swap("behaviour:\n", "holiday_subdivisions: {GB: XYZ}\nbehaviour:\n"),
        "holiday_subdivisions.GB",
        "one of GB's subdivisions",
        True,
    ),
    "milestone-before-contract": (
        _swap("close_date: 2026-02-10", "close_date: 2026-03-27"),
        "contracts[0].milestones[0].due",
        "when the contract may first be executed",
        True,
    ),
    "breach-before-contract": (
        _swap("close_date: 2026-02-20", "close_date: 2026-03-02").replace(
            "    staffing:\n      - {role: engineer, country: GB, count: 2}",
            "    service_level: {credit_per_breach: 100.00, monthly_cap: 300.00, "
            "breaches: [2026-03-03]}\n"
            "    staffing:\n      - {role: engineer, country: GB, count: 2, start: 2026-03-16}",
        ),
        "contracts[1].service_level.breaches[0]",
        "when the contract may first be executed",
        True,
    ),
}

_PROBE = r"""
import json, resource, sys, time
from sim.scenario.loader import ScenarioError, load_scenario
out = {}
for file in sys.argv[1:]:
    start = time.perf_counter()
    try:
        load_scenario(file)
        problems = None
    except ScenarioError as exc:
        problems = [[p.path, p.expected, p.line] for p in exc.problems]
    out[file] = {"seconds": time.perf_counter() - start, "problems": problems}
try:  # this process's own peak (ru_maxrss would include the forking pytest's, kept over exec)
    status = open("/proc/self/status").read()
    out["peak_mb"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
except (OSError, IndexError):
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad")
    files = {}
    for name, (content, *_rest) in CASES.items():
        path = folder / f"{name}.yaml"
        if callable(content):
            content(path)
        else:
            path.write_text(content, encoding="utf-8")
        files[name] = path
    return files


@pytest.fixture(scope="module")
def probed(bad_files: dict[str, Path]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *map(str, bad_files.values())],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_fast_and_small(
    name: str, bad_files: dict[str, Path], probed: dict[str, object]
) -> None:
    _, path, expected, has_line = CASES[name]
    seen = probed[str(bad_files[name])]
    assert isinstance(seen, dict)
    problems = seen["problems"]
    assert problems, f"{name} was accepted"
    assert any(p == path and expected in e and (line is not None) == has_line
               for p, e, line in problems), problems  # fmt: skip
    assert seen["seconds"] < 2.0
    peak = probed["peak_mb"]
    assert isinstance(peak, float) and peak < 200


@pytest.mark.parametrize("name", ["bomb", "fifo", "deep-flow"])
def test_cli_exits_2_without_traceback(name: str, bad_files: dict[str, Path]) -> None:
    script = Path(sys.executable).with_name("q2c")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "sim.app.cli"]
    done = subprocess.run(
        [*command, "scenarios", "validate", str(bad_files[name])],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    assert str(bad_files[name]) in done.stderr
